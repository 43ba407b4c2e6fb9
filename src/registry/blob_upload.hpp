// Blob uploads (distribution-spec "Pushing blobs"): a session opened by POST (or by a
// cross-repository mount that did not happen), fed by PATCHes with Content-Range that always
// follow the newest Location and honour OCI-Chunk-Min-Length and the returned Range, and closed
// by PUT ?digest=. A cut chunked upload asks the session for its Range and continues from there;
// a dead session is replaced by a new one.
#pragma once

#include "registry/http_client.hpp"
#include "registry/registry_client.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ckimg::registry {

// Random access to the bytes being uploaded, so that a retry can re-read any range.
class RangeReader {
public:
    virtual ~RangeReader() = default;
    // Reads up to `size` bytes at `offset`; throws when the range is no longer available.
    virtual std::size_t read_at(std::uint64_t offset, char* buffer, std::size_t size) = 0;
};

class FileRangeReader : public RangeReader {
public:
    explicit FileRangeReader(const std::string& path);
    ~FileRangeReader() override;
    FileRangeReader(const FileRangeReader&) = delete;
    FileRangeReader& operator=(const FileRangeReader&) = delete;
    std::size_t read_at(std::uint64_t offset, char* buffer, std::size_t size) override;
    std::uint64_t size() const { return size_; }

private:
    std::string path_;
    int fd_;
    std::uint64_t size_;
};

// A request body of unknown length, produced while it is sent; counts what it gave out.
class StreamBody : public RequestBody {
public:
    std::uint64_t size() const final { return unknown_size; }
    std::uint64_t sent() const { return sent_; }

protected:
    std::uint64_t sent_ = 0;
};

// Bytes acknowledged or in flight so far, for progress reports (may go back on a resume).
using ByteProgress = std::function<void(std::uint64_t done)>;

// The registry refused chunked PATCHes outright: upload monolithically instead.
class ChunkingRejected : public RegistryError {
public:
    using RegistryError::RegistryError;
};

class BlobUpload {
public:
    BlobUpload(RegistryClient& client, ByteProgress progress);

    // POST .../blobs/uploads/. With a non-empty `mount_from`, asks for a cross-repository mount
    // of `digest` first: returns true when the blob was mounted (no session needed).
    bool start(const Digest* digest = nullptr, const std::string& mount_from = "");
    // PATCHes [offset(), end) of `source` in chunks, resuming after cuts.
    void send_chunks(RangeReader& source, std::uint64_t end, std::uint64_t chunk_size);
    // One PATCH whose body is `body` as it is produced (no Content-Range, sent chunked), the
    // streamed upload of docker and podman: one request per blob, however large. Not retried
    // here, since a live stream cannot be sent again.
    void send_stream(StreamBody& body);
    // PUT ?digest= with [offset(), end) of `source` as the body (nothing when source is null).
    void finish(const Digest& digest, RangeReader* source, std::uint64_t end);

    std::uint64_t offset() const { return offset_; }
    std::uint64_t min_chunk() const { return min_chunk_; }
    bool started() const { return !location_.empty(); }

private:
    bool send_one_chunk(RangeReader& source, std::uint64_t end, Backoff& backoff);
    void charge(std::uint64_t length, std::uint64_t end, const std::string& url);
    void accept_session(const HttpResponse& response, const std::string& request_url);
    void resync(Backoff& backoff);
    HttpResponse send_closing_put(const HttpRequest& request, const Digest& digest);

    RegistryClient& client_;
    ByteProgress progress_;
    std::string location_;
    std::uint64_t offset_ = 0;
    std::uint64_t min_chunk_ = 0;
    std::uint64_t chunk_ = 0;
    // What this session cost so far (charge()): bytes sent, requests, chunks in a row of which
    // the registry took less than half.
    static constexpr int max_meagre_chunks = 4;
    std::uint64_t sent_ = 0;
    std::uint64_t requests_ = 0;
    int meagre_ = 0;
};

enum class BlobOutcome { skipped, mounted, uploaded };

// Adds one blob's outcome to `result`; an uploaded blob adds its size (a size from a manifest:
// the sum is checked, an overflow an InputError). Not locked: callers hold their own lock.
void count_outcome(PushResult& result, BlobOutcome outcome, std::uint64_t size);

// Pushes one blob read from `source`: HEAD (skip), mounts from `mount_from`, then a chunked
// upload when it is larger than the session's chunk size and the registry allows it, else a
// monolithic one; retried and resumed per the session's policy.
BlobOutcome push_blob(RegistryClient& client, RangeReader& source, const Descriptor& blob,
                      const std::vector<std::string>& mount_from, const ByteProgress& progress);
// The two halves of push_blob, for a copy that asks first and writes later: HEAD then the
// mounts (nullopt: the blob must be uploaded), and the upload with its retries and resumes.
std::optional<BlobOutcome> reuse_blob(RegistryClient& client, const Digest& digest,
                                      const std::vector<std::string>& mount_from);
BlobOutcome upload_blob(RegistryClient& client, RangeReader& source, const Descriptor& blob,
                        const ByteProgress& progress);
// The same for a blob stored at `path` (its size checked against the descriptor's).
BlobOutcome push_blob_file(RegistryClient& client, const std::string& path, const Descriptor& blob,
                           const std::vector<std::string>& mount_from,
                           const ByteProgress& progress);

} // namespace ckimg::registry
