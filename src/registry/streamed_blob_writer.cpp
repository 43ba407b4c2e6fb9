// The streamed writer of sink_blob_writers.hpp. The producer (the compression stage) writes into
// a bounded pipe; a sender thread runs one PATCH whose body libcurl pulls from that pipe, so the
// registry ingests while the layer is compressed and memory stays at the pipe's few MiB. Bytes
// sent are gone from memory: the copy that a retry needs is a file, the sibling writer's (the
// layout's blob under its temporary name, with -o) or the input file itself (a layer that is
// the archive's bytes), else our own spool.
#include "core/byte_pipe.hpp"
#include "registry/registry_quirks.hpp"
#include "registry/sink_blob_writers.hpp"
#include "registry/upload_sources.hpp"

#include <ckimg/error.hpp>

#include <exception>
#include <thread>

namespace ckimg::registry {

namespace {

// Blobs below this size are held in memory and uploaded whole on commit, after a HEAD (the
// registry may have them); larger ones start streaming once this much has arrived.
constexpr std::uint64_t kUploadWholeBelow = std::uint64_t{1} << 20;

// The pipe: four 1 MiB blocks keep the sender busy across the compressor's bursts.
constexpr std::size_t kPipeBlock = 1 << 20;
constexpr std::size_t kPipeBlocks = 4;

class PipeBody : public StreamBody {
public:
    explicit PipeBody(BytePipe& pipe) : pipe_(pipe) {}
    std::size_t read(char* buffer, std::size_t capacity) override {
        auto n = pipe_.read(reinterpret_cast<std::uint8_t*>(buffer), capacity);
        sent_ += n;
        return n;
    }
    void rewind() override {
        if (sent_ != 0) throw RegistryError("a streamed upload cannot be sent again");
    }

private:
    BytePipe& pipe_;
};

class StreamedBlobWriter : public BlobWriter {
public:
    StreamedBlobWriter(const UploadContext& context, BlobReplay replay)
        : context_(context), client_(context.session), replay_(std::move(replay)) {}

    ~StreamedBlobWriter() override {
        if (!sender_.joinable()) return;
        pipe_->cancel(); // abandoned without commit: the PATCH aborts
        sender_.join();
    }
    StreamedBlobWriter(const StreamedBlobWriter&) = delete;
    StreamedBlobWriter& operator=(const StreamedBlobWriter&) = delete;

    void write(const std::uint8_t* data, std::size_t size) override {
        size_ += size;
        if (spool_) spool_->write(reinterpret_cast<const char*>(data), size);
        if (!pipe_) {
            head_.append(reinterpret_cast<const char*>(data), size);
            if (head_.size() >= kUploadWholeBelow) start_stream();
            return;
        }
        if (!stream_broken_ && !pipe_->write(data, size)) stream_broken_ = true;
    }

    void finish() override {}

    void commit(const Digest& digest) override {
        Descriptor blob{
            "application/octet-stream", digest, static_cast<std::int64_t>(size_), {}, {}, {}};
        if (!pipe_) {
            BufferReader reader(head_, 0);
            return context_.count(push_blob(client_, reader, blob, {}, {}), size_);
        }
        pipe_->close();
        sender_.join();
        if (!error_ && body_sent_ == size_) {
            try {
                upload_->finish(digest, nullptr, size_);
                return context_.count(BlobOutcome::uploaded, size_);
            } catch (const RegistryError&) {
                if (context_.session.cancel.cancelled()) throw;
                error_ = std::current_exception();
            }
        }
        if (context_.session.cancel.cancelled() && error_) std::rethrow_exception(error_);
        // The stream broke (a cut, a 5xx, a registry that will not take it): start again from
        // the copy on disk, with the retries, resumes and chunking rules of `ckimg push`.
        context_.count(push_blob_file(client_, copy_path(digest), blob, {}, {}), size_);
    }

private:
    void start_stream() {
        if (!replay_) {
            spool_ = std::make_unique<Spool>();
            spool_->write(head_.data(), head_.size());
        }
        upload_ = std::make_unique<BlobUpload>(client_, nullptr);
        upload_->start(); // here, not on the sender: a refused POST fails the build at once
        pipe_ = std::make_unique<BytePipe>(kPipeBlock, kPipeBlocks);
        sender_ = std::thread([this] { send(); });
        if (!pipe_->write(reinterpret_cast<const std::uint8_t*>(head_.data()), head_.size()))
            stream_broken_ = true;
        head_.clear();
        head_.shrink_to_fit();
    }

    void send() {
        PipeBody body(*pipe_);
        try {
            upload_->send_stream(body);
        } catch (...) {
            error_ = std::current_exception();
        }
        body_sent_ = body.sent();
        pipe_->abandon(); // the producer never waits for a reader that is gone
    }

    std::string copy_path(const Digest& digest) const {
        if (spool_) return spool_->path();
        auto path = replay_(digest);
        if (path.empty())
            throw Error("internal error: a streamed upload failed and no copy of the blob is kept");
        return path.string();
    }

    UploadContext context_;
    RegistryClient client_;
    BlobReplay replay_; // empty: the writer spools what it sends
    std::string head_;  // the first bytes, until the blob is large enough to stream
    std::unique_ptr<Spool> spool_;
    std::unique_ptr<BlobUpload> upload_;
    std::unique_ptr<BytePipe> pipe_;
    std::thread sender_;
    // Written by the sender before it abandons the pipe, read after join().
    std::exception_ptr error_;
    std::uint64_t body_sent_ = 0;
    bool stream_broken_ = false;
    std::uint64_t size_ = 0;
};

} // namespace

std::unique_ptr<BlobWriter> make_streamed_blob_writer(const UploadContext& context,
                                                      BlobReplay replay) {
    return std::make_unique<StreamedBlobWriter>(context, std::move(replay));
}

bool streams_blobs(const RegistrySession& session) {
    return session.options().chunk_size == 0 && quirks_of(session.target().api_host()).streams;
}

} // namespace ckimg::registry
