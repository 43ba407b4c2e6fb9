// One image written to several sinks at once (build -o DIR --push REF): every blob byte goes to
// each sink as it is produced, so the upload runs while the layer is still being compressed.
#pragma once

#include <ckimg/sink.hpp>

#include <vector>

namespace ckimg {

class TeeSink : public ImageSink {
public:
    explicit TeeSink(std::vector<ImageSink*> sinks) : sinks_(std::move(sinks)) {}
    std::unique_ptr<BlobWriter> create_blob() override;
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override;
    void tag(const Descriptor& root, const std::string& tag) override;
    void commit() override;
    std::string describe(const std::string& tag) const override;

private:
    std::vector<ImageSink*> sinks_;
};

// Runs a blob writer on its own thread (bounded queue), so a slow destination, such as a
// network upload, does not hold up the stage that produces the bytes.
std::unique_ptr<BlobWriter> make_threaded_blob_writer(std::unique_ptr<BlobWriter> inner);

} // namespace ckimg
