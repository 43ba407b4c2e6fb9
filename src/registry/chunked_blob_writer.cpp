// The chunked writer of sink_blob_writers.hpp: each full chunk is PATCHed on a helper thread
// while the next one fills, so compression and the network overlap instead of taking turns.
#include "registry/sink_blob_writers.hpp"
#include "registry/upload_sources.hpp"

#include <ckimg/error.hpp>

#include <future>

namespace ckimg::registry {

namespace {

// Two chunks are in memory per blob (one being sent, one filling): without an explicit
// --chunk-size, 5 MiB keeps build --push within its memory bound and is the smallest chunk
// every registry takes (ECR's minimum); GHCR's default of 4 MiB is smaller still.
constexpr std::uint64_t kMaxDefaultChunk = 5 << 20;

class ChunkedBlobWriter : public BlobWriter {
public:
    explicit ChunkedBlobWriter(const UploadContext& context)
        : context_(context), client_(context.session) {}

    ~ChunkedBlobWriter() override {
        if (sending_.valid()) sending_.wait(); // the thread uses this object
    }

    void write(const std::uint8_t* data, std::size_t size) override {
        auto* bytes = reinterpret_cast<const char*>(data);
        size_ += size;
        if (spool_) return spool_->write(bytes, size);
        filling_.append(bytes, size);
        while (!spool_ && filling_.size() >= chunk_length())
            hand_off_chunk();
    }

    void finish() override {}

    void commit(const Digest& digest) override {
        wait_for_chunk_in_flight();
        Descriptor blob{
            "application/octet-stream", digest, static_cast<std::int64_t>(size_), {}, {}, {}};
        if (spool_)
            return context_.count(push_blob_file(client_, spool_->path(), blob, {}, {}), size_);
        if (filling_offset_ == 0) {
            // No chunk went out (the blob is one chunk or less): push_blob's one PUT, with its
            // retries; a session opened for a larger minimum chunk is left to expire.
            BufferReader reader(filling_, 0);
            return context_.count(push_blob(client_, reader, blob, {}, {}), size_);
        }
        // The tail goes in a PATCH of its own, which resumes after a cut, and the closing PUT
        // carries nothing, so that it can be sent again (a PUT with the tail cannot: the
        // registry may have kept part of it) and a lost answer is found out by a HEAD.
        BufferReader reader(filling_, filling_offset_);
        if (size_ > filling_offset_) upload_->send_chunks(reader, size_, chunk_length_);
        upload_->finish(digest, nullptr, size_);
        context_.count(BlobOutcome::uploaded, size_);
    }

private:
    // An explicit --chunk-size wins over the cap; the registry's OCI-Chunk-Min-Length wins over
    // both. Fixed once the upload session is open.
    std::uint64_t chunk_length() const {
        if (chunk_length_ != 0) return chunk_length_;
        auto chunk = context_.session.chunk_size();
        if (context_.session.options().chunk_size == 0)
            chunk = std::min<std::uint64_t>(chunk, kMaxDefaultChunk);
        return chunk;
    }

    void hand_off_chunk() {
        if (!upload_) {
            upload_ = std::make_unique<BlobUpload>(client_, nullptr);
            upload_->start();
            chunk_length_ = std::max<std::uint64_t>(chunk_length(), upload_->min_chunk());
            if (filling_.size() < chunk_length_) return; // the registry asked for larger chunks
        }
        wait_for_chunk_in_flight();
        if (spool_) return;
        auto length = chunk_length_;
        // The full buffer becomes the chunk; only the bytes past it are copied back.
        in_flight_.swap(filling_);
        filling_.assign(in_flight_, length);
        in_flight_.resize(length);
        in_flight_offset_ = filling_offset_;
        filling_offset_ += length;
        sending_ = std::async(std::launch::async, [this, length] {
            if (context_.session.chunking_rejected) throw ChunkingRejected("known");
            BufferReader reader(in_flight_, in_flight_offset_);
            upload_->send_chunks(reader, in_flight_offset_ + length, length);
        });
    }

    // Rethrows what the chunk's upload threw; a refusal of chunking turns into a spool.
    void wait_for_chunk_in_flight() {
        if (!sending_.valid()) return;
        try {
            sending_.get();
        } catch (const ChunkingRejected&) {
            spool_everything();
        }
    }

    void spool_everything() {
        if (in_flight_offset_ != 0)
            throw RegistryError("registry refused a chunk in the middle of an upload");
        context_.session.chunking_rejected = true;
        spool_ = std::make_unique<Spool>();
        spool_->write(in_flight_.data(), in_flight_.size());
        spool_->write(filling_.data(), filling_.size());
        for (auto* buffer : {&in_flight_, &filling_}) {
            buffer->clear();
            buffer->shrink_to_fit();
        }
        upload_.reset();
    }

    UploadContext context_;
    RegistryClient client_;
    std::unique_ptr<BlobUpload> upload_;
    std::uint64_t chunk_length_ = 0;
    std::string filling_;              // bytes not yet handed to a PATCH
    std::uint64_t filling_offset_ = 0; // offset of filling_[0] in the blob
    std::string in_flight_;            // the chunk being PATCHed (kept for its retries)
    std::uint64_t in_flight_offset_ = 0;
    std::future<void> sending_;
    std::uint64_t size_ = 0;
    std::unique_ptr<Spool> spool_;
};

} // namespace

std::unique_ptr<BlobWriter> make_chunked_blob_writer(const UploadContext& context) {
    return std::make_unique<ChunkedBlobWriter>(context);
}

} // namespace ckimg::registry
