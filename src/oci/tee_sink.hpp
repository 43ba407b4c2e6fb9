// One image written to several sinks at once (build -o DIR --push REF): every blob byte goes to
// each sink as it is produced, so the upload runs while the layer is still being compressed.
#pragma once

#include <ckimg/sink.hpp>

#include <vector>

namespace ckimg {

// Each blob is committed in the sinks' order; a later sink's writer that must read the blob
// again (a broken streamed upload) reads it from the first earlier sink that keeps it as a file,
// committed by then, else from what the producer offered.
class TeeSink : public ImageSink {
public:
    explicit TeeSink(std::vector<ImageSink*> sinks) : sinks_(std::move(sinks)) {}
    std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) override;
    std::filesystem::path blob_file(const Digest& digest) const override;
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override;
    void tag(const Descriptor& root, const std::string& tag) override;
    void commit() override;
    std::string describe(const std::string& tag) const override;

private:
    std::vector<ImageSink*> sinks_;
};

} // namespace ckimg
