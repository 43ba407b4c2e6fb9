#include "oci/tee_sink.hpp"

#include "core/pipeline.hpp"

namespace ckimg {

namespace {

class TeeBlobWriter : public BlobWriter {
public:
    explicit TeeBlobWriter(std::vector<std::unique_ptr<BlobWriter>> writers)
        : writers_(std::move(writers)) {
        // commit() runs last first, so a writer can lean on the files of those before it.
        for (std::size_t i = 0; i < writers_.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (!writers_[j]->stored_path().empty()) writers_[i]->replay_from(*writers_[j]);
            }
        }
    }
    void write(const std::uint8_t* data, std::size_t size) override {
        for (auto& writer : writers_)
            writer->write(data, size);
    }
    void finish() override {
        for (auto& writer : writers_)
            writer->finish();
    }
    // Last first: a registry upload (after the layout) may still need the layout's temporary file.
    void commit(const Digest& digest) override {
        for (auto it = writers_.rbegin(); it != writers_.rend(); ++it)
            (*it)->commit(digest);
    }
    void write_file(int fd, const std::string& path, std::uint64_t size) override {
        for (auto& writer : writers_)
            writer->write_file(fd, path, size);
    }

private:
    std::vector<std::unique_ptr<BlobWriter>> writers_;
};

class ThreadedBlobWriter : public BlobWriter {
public:
    explicit ThreadedBlobWriter(std::unique_ptr<BlobWriter> inner)
        : inner_(std::move(inner)), stage_(*inner_, 1 << 20, 2) {}
    void write(const std::uint8_t* data, std::size_t size) override { stage_.write(data, size); }
    void finish() override {
        if (finished_) return;
        finished_ = true;
        stage_.finish(); // drains the queue, then finishes the inner writer
    }
    void commit(const Digest& digest) override {
        finish();
        inner_->commit(digest);
    }

private:
    std::unique_ptr<BlobWriter> inner_;
    ThreadedSink stage_;
    bool finished_ = false;
};

} // namespace

std::unique_ptr<BlobWriter> make_threaded_blob_writer(std::unique_ptr<BlobWriter> inner) {
    return std::make_unique<ThreadedBlobWriter>(std::move(inner));
}

std::unique_ptr<BlobWriter> TeeSink::create_blob() {
    std::vector<std::unique_ptr<BlobWriter>> writers;
    for (auto* sink : sinks_)
        writers.push_back(sink->create_blob());
    if (writers.size() == 1) return std::move(writers.front());
    return std::make_unique<TeeBlobWriter>(std::move(writers));
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
