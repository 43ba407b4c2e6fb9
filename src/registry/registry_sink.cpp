// RegistrySink: an ImageSink that uploads as the image is built. Blobs stream through a
// chunk-sized buffer into PATCHes; a registry that refuses chunks gets the rest spooled to a
// temporary file and one monolithic upload, so memory stays bounded either way.
#include "registry/blob_upload.hpp"
#include "registry/referrers.hpp"
#include "registry/registry_client.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include "oci/tee_sink.hpp"

#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <unistd.h>

namespace ckimg {

using registry::BlobUpload;
using registry::RangeReader;
using registry::RegistryClient;

namespace {

// A window of the blob held in memory: [base, base + bytes.size()).
class BufferReader : public RangeReader {
public:
    BufferReader(const std::string& bytes, std::uint64_t base) : bytes_(bytes), base_(base) {}
    std::size_t read_at(std::uint64_t offset, char* buffer, std::size_t size) override {
        if (offset < base_)
            throw RegistryError("cannot resume the upload: the registry lost bytes already sent");
        auto start = offset - base_;
        if (start >= bytes_.size()) return 0;
        auto n = std::min<std::size_t>(size, bytes_.size() - start);
        std::memcpy(buffer, bytes_.data() + start, n);
        return n;
    }

private:
    const std::string& bytes_;
    std::uint64_t base_;
};

// A temporary file, unlinked when done, for blobs a registry will only take whole.
class Spool {
public:
    Spool() {
        const char* dir = std::getenv("TMPDIR");
        path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/ckimg-upload.XXXXXX";
        fd_ = ::mkstemp(path_.data());
        if (fd_ < 0) throw IoError(errno_message("cannot create a temporary file in " + path_));
    }
    ~Spool() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;
    void write(const char* data, std::size_t size) {
        while (size > 0) {
            auto n = ::write(fd_, data, size);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw IoError(errno_message("cannot write " + path_));
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

} // namespace

struct RegistrySink::State {
    Reference target;
    PushOptions options;
    std::unique_ptr<registry::RegistrySession> session;
    std::mutex client_mutex; // guards client (one connection for put_blob and tag)
    std::unique_ptr<RegistryClient> client;
    std::mutex mutex; // guards manifests and result
    std::map<std::string, std::pair<std::string, std::string>> manifests; // digest -> type, bytes
    PushResult result;

    void count(registry::BlobOutcome outcome, std::uint64_t size) {
        std::lock_guard lock(mutex);
        if (outcome == registry::BlobOutcome::skipped) ++result.skipped;
        if (outcome == registry::BlobOutcome::mounted) ++result.mounted;
        if (outcome == registry::BlobOutcome::uploaded) {
            ++result.pushed;
            result.bytes += size;
        }
    }
};

namespace {

// Two chunks are in memory per streamed blob (one being sent, one filling): 5 MiB keeps
// build --push within its memory bound and is the smallest chunk every registry takes (ECR's
// minimum); GHCR's default of 4 MiB is smaller still.
constexpr std::uint64_t kMaxStreamingChunk = 5 << 20;

// Uploads a blob while it is produced: each full chunk is PATCHed on a helper thread while the
// next one fills, so compression and the network overlap instead of taking turns.
class StreamingBlobWriter : public BlobWriter {
public:
    explicit StreamingBlobWriter(RegistrySink::State& state)
        : state_(state), client_(*state.session) {}

    ~StreamingBlobWriter() override {
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
        if (spool_) {
            auto outcome = registry::push_blob_file(client_, spool_->path(), blob, {}, {});
            return state_.count(outcome, size_);
        }
        if (!upload_) {
            // Small enough never to have left memory: the registry may have it already.
            if (client_.blob_size(digest)) return state_.count(registry::BlobOutcome::skipped, 0);
            upload_ = std::make_unique<BlobUpload>(client_, nullptr);
            upload_->start();
        }
        BufferReader reader(filling_, filling_offset_);
        upload_->finish(digest, &reader, size_);
        state_.count(registry::BlobOutcome::uploaded, size_);
    }

private:
    // The default is capped (see kMaxStreamingChunk); an explicit --chunk-size wins, and the
    // registry's OCI-Chunk-Min-Length wins over both. Fixed once the upload session is open.
    std::uint64_t chunk_length() const {
        if (chunk_length_ != 0) return chunk_length_;
        auto chunk = state_.session->chunk_size();
        if (state_.options.registry.chunk_size == 0)
            chunk = std::min<std::uint64_t>(chunk, kMaxStreamingChunk);
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
            if (state_.session->chunking_rejected) throw registry::ChunkingRejected("known");
            BufferReader reader(in_flight_, in_flight_offset_);
            upload_->send_chunks(reader, in_flight_offset_ + length, length);
        });
    }

    // Rethrows what the chunk's upload threw; a refusal of chunking turns into a spool.
    void wait_for_chunk_in_flight() {
        if (!sending_.valid()) return;
        try {
            sending_.get();
        } catch (const registry::ChunkingRejected&) {
            spool_everything();
        }
    }

    void spool_everything() {
        if (in_flight_offset_ != 0)
            throw RegistryError("registry refused a chunk in the middle of an upload");
        state_.session->chunking_rejected = true;
        spool_ = std::make_unique<Spool>();
        spool_->write(in_flight_.data(), in_flight_.size());
        spool_->write(filling_.data(), filling_.size());
        for (auto* buffer : {&in_flight_, &filling_}) {
            buffer->clear();
            buffer->shrink_to_fit();
        }
        upload_.reset();
    }

    RegistrySink::State& state_;
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

RegistrySink::RegistrySink(const Reference& target, const PushOptions& options)
    : state_(std::make_unique<State>()) {
    state_->target = target;
    state_->options = options;
    state_->session = std::make_unique<registry::RegistrySession>(target, options.registry);
    state_->client = std::make_unique<RegistryClient>(*state_->session);
    state_->client->probe();
    state_->result.reference = target.str();
}

RegistrySink::~RegistrySink() = default;

std::unique_ptr<BlobWriter> RegistrySink::create_blob() {
    // The upload runs on its own thread so the network never stalls the compressor feeding it.
    return make_threaded_blob_writer(std::make_unique<StreamingBlobWriter>(*state_));
}

Descriptor RegistrySink::put_blob(const std::string& media_type, std::string_view bytes) {
    std::string data(bytes);
    Descriptor blob{media_type, sha256_of(bytes), static_cast<std::int64_t>(bytes.size()), {}, {},
                    {}};
    std::lock_guard client_lock(state_->client_mutex);
    auto& client = *state_->client;
    if (registry::is_manifest_media_type(media_type)) {
        registry::keep_referrers_tag(client, data,
                                     client.put_manifest(blob.digest.str(), media_type, data));
        std::lock_guard lock(state_->mutex);
        state_->manifests[blob.digest.str()] = {media_type, std::move(data)};
        return blob;
    }
    if (client.blob_size(blob.digest)) {
        state_->count(registry::BlobOutcome::skipped, 0);
        return blob;
    }
    BlobUpload upload(client, nullptr);
    upload.start();
    BufferReader reader(data, 0);
    upload.finish(blob.digest, &reader, data.size());
    state_->count(registry::BlobOutcome::uploaded, data.size());
    return blob;
}

void RegistrySink::tag(const Descriptor& root, const std::string& tag) {
    std::pair<std::string, std::string> manifest;
    {
        std::lock_guard lock(state_->mutex);
        auto it = state_->manifests.find(root.digest.str());
        if (it == state_->manifests.end())
            throw Error("cannot tag " + root.digest.str() + ": it was not stored with put_blob");
        manifest = it->second;
    }
    std::lock_guard client_lock(state_->client_mutex);
    state_->client->put_manifest(tag, manifest.first, manifest.second);
    std::lock_guard lock(state_->mutex);
    state_->result.root = root;
}

std::string RegistrySink::describe(const std::string& tag) const {
    const auto& target = state_->target;
    return "docker://" + target.registry + "/" + target.repository + (tag.empty() ? "" : ":" + tag);
}

PushResult RegistrySink::result() const {
    std::lock_guard lock(state_->mutex);
    return state_->result;
}

} // namespace ckimg
