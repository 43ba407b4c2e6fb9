#include "oci/tee_sink.hpp"

#include "oci/blob_file.hpp"

namespace ckimg {

namespace {

class TeeBlobWriter : public FileBlobWriter {
public:
    explicit TeeBlobWriter(std::vector<std::unique_ptr<BlobWriter>> writers)
        : writers_(std::move(writers)) {}
    void write(const std::uint8_t* data, std::size_t size) override {
        for (auto& writer : writers_)
            writer->write(data, size);
    }
    void finish() override {
        for (auto& writer : writers_)
            writer->finish();
    }
    // In order: a registry upload (after the layout) may need to read the layout's blob again.
    void commit(const Digest& digest) override {
        for (auto& writer : writers_)
            writer->commit(digest);
    }
    void write_file(int fd, const std::string& path, std::uint64_t size) override {
        for (auto& writer : writers_)
            write_file_into(*writer, fd, path, size);
    }

private:
    std::vector<std::unique_ptr<BlobWriter>> writers_;
};

} // namespace

std::unique_ptr<BlobWriter> TeeSink::create_blob(const BlobReplay& replay) {
    std::vector<std::unique_ptr<BlobWriter>> writers;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        // Sinks before this one have committed the blob when this one's writer commits.
        std::vector<ImageSink*> earlier(sinks_.begin(), sinks_.begin() + static_cast<long>(i));
        BlobReplay from_earlier; // none for the first: it gets only what the producer offered
        if (!earlier.empty())
            from_earlier = [earlier, replay](const Digest& digest) {
                for (auto* sink : earlier)
                    if (auto file = sink->blob_file(digest); !file.empty()) return file;
                return replay ? replay(digest) : std::filesystem::path();
            };
        writers.push_back(sinks_[i]->create_blob(earlier.empty() ? replay : from_earlier));
    }
    if (writers.size() == 1) return std::move(writers.front());
    return std::make_unique<TeeBlobWriter>(std::move(writers));
}

std::filesystem::path TeeSink::blob_file(const Digest& digest) const {
    for (auto* sink : sinks_)
        if (auto file = sink->blob_file(digest); !file.empty()) return file;
    return {};
}

Descriptor TeeSink::put_blob(const std::string& media_type, std::string_view bytes) {
    Descriptor descriptor;
    for (auto* sink : sinks_)
        descriptor = sink->put_blob(media_type, bytes);
    return descriptor;
}

void TeeSink::tag(const Descriptor& root, const std::string& tag) {
    for (auto* sink : sinks_)
        sink->tag(root, tag);
}

void TeeSink::commit() {
    for (auto* sink : sinks_)
        sink->commit();
}

std::string TeeSink::describe(const std::string& tag) const {
    return sinks_.empty() ? "" : sinks_.front()->describe(tag);
}

} // namespace ckimg
