#include "registry/blob_upload.hpp"

#include "registry/registry_error.hpp"
#include "registry/url.hpp"

#include "core/checked_math.hpp"

#include <ckimg/error.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace ckimg::registry {

namespace {

// [begin, end) of a RangeReader as a request body that can start over.
class RangeBody : public RequestBody {
public:
    RangeBody(RangeReader& source, std::uint64_t begin, std::uint64_t end,
              const ByteProgress& progress)
        : source_(source), begin_(begin), end_(end), pos_(begin), progress_(progress) {}
    std::uint64_t size() const override { return end_ - begin_; }
    void rewind() override { pos_ = begin_; }
    std::size_t read(char* buffer, std::size_t capacity) override {
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, end_ - pos_));
        if (want == 0) return 0;
        auto n = source_.read_at(pos_, buffer, want);
        if (n == 0) throw IoError("blob source ended early");
        pos_ += n;
        if (progress_) progress_(pos_);
        return n;
    }

private:
    RangeReader& source_;
    std::uint64_t begin_, end_, pos_;
    const ByteProgress& progress_;
};

// Parses "0-1234" (or "bytes=0-1234"): the last byte the registry holds, nullopt when absent.
std::optional<std::uint64_t> range_end(const HttpResponse& response) {
    auto range = response.header("range");
    if (!range) return std::nullopt;
    auto dash = range->rfind('-');
    if (dash == std::string::npos) return std::nullopt;
    auto digits = range->substr(dash + 1);
    // 19 digits at most: the value and the +1 that makes it a length cannot overflow.
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != digits.npos)
        return std::nullopt;
    return std::stoull(digits);
}

bool rejects_chunking(long status) {
    return status == 400 || status == 405 || status == 411 || status == 413 || status == 415 ||
           status == 416 || status == 501;
}

} // namespace

void count_outcome(PushResult& result, BlobOutcome outcome, std::uint64_t size) {
    if (outcome == BlobOutcome::skipped) ++result.skipped;
    if (outcome == BlobOutcome::mounted) ++result.mounted;
    if (outcome != BlobOutcome::uploaded) return;
    ++result.pushed;
    auto sum = checked_add(result.bytes, size);
    if (!sum) throw InputError("the pushed blobs' sizes add up to more than 2^64 bytes");
    result.bytes = *sum;
}

FileRangeReader::FileRangeReader(const std::string& path)
    : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw IoError(errno_message("cannot open blob " + path));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        auto message = errno_message("cannot stat blob " + path);
        ::close(fd_);
        throw IoError(message);
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

FileRangeReader::~FileRangeReader() {
    ::close(fd_);
}

std::size_t FileRangeReader::read_at(std::uint64_t offset, char* buffer, std::size_t size) {
    while (true) {
        auto n = ::pread(fd_, buffer, size, static_cast<off_t>(offset));
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw IoError(errno_message("cannot read blob " + path_));
    }
}

BlobUpload::BlobUpload(RegistryClient& client, ByteProgress progress)
    : client_(client), progress_(std::move(progress)) {}

void BlobUpload::accept_session(const HttpResponse& response, const std::string& request_url) {
    auto location = response.header("location");
    if (!location || location->empty())
        throw RegistryError("registry opened an upload without a Location (POST " +
                            redact_url(request_url) + ")");
    location_ = client_.follow_location(request_url, *location);
    if (auto min = response.header("oci-chunk-min-length")) {
        try {
            // A demand past a GiB is no chunk size: the blob goes in one piece then.
            min_chunk_ = std::min<std::uint64_t>(std::stoull(*min), std::uint64_t{1} << 30);
        } catch (const std::exception&) {
        }
    }
}

bool BlobUpload::start(const Digest* digest, const std::string& mount_from) {
    HttpRequest request;
    request.method = "POST";
    request.url = client_.repo_url("/blobs/uploads/");
    bool mount = digest != nullptr && !mount_from.empty();
    if (mount) {
        request.url =
            append_query(append_query(request.url, "mount", digest->str()), "from", mount_from);
    }
    auto response = client_.send(request);
    if (mount && response.status == 201) return true;
    if (response.status != 202) throw client_.failure(response, "POST", request.url);
    accept_session(response, request.url);
    offset_ = 0;
    return false;
}

// Asks the session how much it holds (after a cut) and continues from there; a session the
// registry forgot is replaced by a fresh one, from byte 0.
void BlobUpload::resync(Backoff& backoff) {
    while (true) {
        HttpRequest request;
        request.url = location_;
        HttpResponse response;
        try {
            response = client_.send(request);
        } catch (const TransportError&) {
            if (backoff.cancelled() || !backoff.next_attempt()) throw;
            backoff.wait();
            continue;
        }
        if (response.status == 204 || response.status == 200 || response.status == 202) {
            if (auto location = response.header("location"))
                location_ = client_.follow_location(location_, *location);
            auto end = range_end(response);
            // "0-0" means nothing as often as one byte; re-sending one byte is harmless.
            offset_ = end && *end > 0 ? *end + 1 : 0;
            if (progress_) progress_(offset_);
            return;
        }
        if (response.status == 404 || response.status == 400) {
            start();
            return;
        }
        throw client_.failure(response, "GET", request.url);
    }
}

// A registry that takes one byte of each chunk, or keeps asking for the same range again, would
// have the blob sent without end (22 GiB for 23 KB, once): a few times the blob in a bounded
// number of requests is all a registry that works needs.
void BlobUpload::charge(std::uint64_t length, std::uint64_t end, const std::string& url) {
    ++requests_;
    sent_ += length;
    using U = std::uint64_t;
    auto byte_budget = saturating_add(saturating_mul(end, U{3}), saturating_mul(chunk_, U{2}));
    auto retries = static_cast<U>(std::max(client_.session().options().retries, 0));
    auto request_budget = saturating_add(saturating_mul(end / chunk_, U{4}), 16 + 4 * retries);
    if (sent_ <= byte_budget && requests_ <= request_budget && meagre_ <= max_meagre_chunks) return;
    throw RegistryError("giving up on an upload that makes no real progress: the registry holds " +
                        std::to_string(offset_) + " of " + std::to_string(end) + " bytes after " +
                        std::to_string(sent_) + " bytes in " + std::to_string(requests_) +
                        " requests (PATCH " + redact_url(url) + ")");
}

bool BlobUpload::send_one_chunk(RangeReader& source, std::uint64_t end, Backoff& backoff) {
    auto length = std::min(chunk_, end - offset_);
    charge(length, end, location_);
    RangeBody body(source, offset_, offset_ + length, progress_);
    HttpRequest request;
    request.method = "PATCH";
    request.url = location_;
    request.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(offset_) + "-" +
                           std::to_string(offset_ + length - 1)};
    request.stream = &body;
    HttpResponse response;
    try {
        response = client_.send(request, false);
    } catch (const TransportError&) {
        if (backoff.cancelled() || !backoff.next_attempt()) throw;
        backoff.wait();
        resync(backoff);
        return false;
    }
    if (response.status == 202 || response.status == 201 || response.status == 204) {
        if (auto location = response.header("location"))
            location_ = client_.follow_location(location_, *location);
        auto expected = offset_ + length;
        auto held = range_end(response);
        // A registry may take part of a chunk (continue from its Range) or, like ECR, stop
        // advancing Range altogether (then our own count is all there is).
        auto before = offset_;
        offset_ = held && *held + 1 > offset_ && *held + 1 <= expected ? *held + 1 : expected;
        meagre_ = offset_ - before < (length + 1) / 2 ? meagre_ + 1 : 0;
        return true;
    }
    if (offset_ == 0 && rejects_chunking(response.status))
        throw ChunkingRejected(client_.failure(response, "PATCH", request.url).what(),
                               response.status);
    if (response.status != 416 && response.status != 404 && !retryable_status(response.status))
        throw client_.failure(response, "PATCH", request.url);
    if (!backoff.next_attempt()) throw client_.failure(response, "PATCH", request.url);
    if (response.status != 416) backoff.wait(&response);
    resync(backoff);
    return false;
}

void BlobUpload::send_stream(StreamBody& body) {
    HttpRequest request;
    request.method = "PATCH";
    request.url = location_;
    request.headers = {"Content-Type: application/octet-stream"};
    request.stream = &body;
    auto response = client_.send(request, false);
    if (response.status != 202 && response.status != 201 && response.status != 204) {
        if (offset_ == 0 && rejects_chunking(response.status))
            throw ChunkingRejected(client_.failure(response, "PATCH", request.url).what(),
                                   response.status);
        throw client_.failure(response, "PATCH", request.url);
    }
    if (auto location = response.header("location"))
        location_ = client_.follow_location(location_, *location);
    auto end = offset_ + body.sent();
    auto held = range_end(response);
    if (held && *held + 1 != end)
        throw RegistryError("registry holds " + std::to_string(*held + 1) + " bytes of a " +
                            std::to_string(end) + "-byte streamed upload (PATCH " +
                            redact_url(request.url) + ")");
    offset_ = end;
}

void BlobUpload::send_chunks(RangeReader& source, std::uint64_t end, std::uint64_t chunk_size) {
    chunk_ = std::max<std::uint64_t>({chunk_size, min_chunk_, 1});
    Backoff backoff(client_.session().retry_policy(), &client_.session().cancel);
    while (offset_ < end) {
        if (send_one_chunk(source, end, backoff)) backoff.reset();
    }
    // An upload's status (after a cut) that claims more than the blob has is no upload of it.
    if (offset_ > end)
        throw RegistryError("the registry claims " + std::to_string(offset_) + " bytes of a " +
                            std::to_string(end) + "-byte blob (GET " + redact_url(location_) + ")");
}

void BlobUpload::finish(const Digest& digest, RangeReader* source, std::uint64_t end) {
    std::optional<RangeBody> body;
    HttpRequest request;
    request.method = "PUT";
    request.url = append_query(location_, "digest", digest.str());
    request.headers.push_back("Content-Type: application/octet-stream");
    if (source != nullptr && end > offset_) {
        body.emplace(*source, offset_, end, progress_);
        request.stream = &*body;
    }
    auto response = body ? client_.send(request, false) : send_closing_put(request, digest);
    if (response.status != 201 && response.status != 204 && response.status != 200)
        throw client_.failure(response, "PUT", request.url);
    if (auto echoed = response.header("docker-content-digest"); echoed && *echoed != digest.str())
        throw RegistryError("registry stored blob " + digest.str() + " as " +
                            quote_network(*echoed) + " (PUT " + redact_url(request.url) + ")");
    offset_ = end;
    if (progress_) progress_(end);
}

// The closing PUT of a chunked upload carries no data, so it is retried where it failed rather
// than by the caller, which would start the whole blob over (and send it all again).
HttpResponse BlobUpload::send_closing_put(const HttpRequest& request, const Digest& digest) {
    Backoff backoff(client_.session().retry_policy(), &client_.session().cancel);
    return send_with_retries(backoff, [&] {
        auto response = client_.send(request, false);
        // A PUT whose answer was lost may have completed the upload: the session is gone. The
        // first answer can be such a 404 too, since libcurl sends a request again by itself on a
        // fresh connection when a reused one closed without a byte of answer.
        if (response.status == 404 && client_.blob_size(digest)) response.status = 201;
        return response;
    });
}

namespace {

bool try_mounts(RegistryClient& client, const Digest& digest,
                const std::vector<std::string>& mount_from, const ByteProgress& progress,
                std::unique_ptr<BlobUpload>& session) {
    for (const auto& from : mount_from) {
        if (from == client.session().target().repository) continue;
        auto upload = std::make_unique<BlobUpload>(client, progress);
        if (upload->start(&digest, from)) return true;
        session = std::move(upload); // a refused mount still opened a session: use it
    }
    return false;
}

void upload_once(RegistryClient& client, BlobUpload& upload, RangeReader& source,
                 const Descriptor& blob) {
    auto& session = client.session();
    auto size = static_cast<std::uint64_t>(blob.size);
    if (!upload.started()) upload.start();
    if (size > session.chunk_size() && !session.chunking_rejected) {
        upload.send_chunks(source, size, session.chunk_size());
        upload.finish(blob.digest, nullptr, size);
    } else {
        upload.finish(blob.digest, &source, size);
    }
}

BlobOutcome upload_with_retries(RegistryClient& client, RangeReader& source, const Descriptor& blob,
                                const ByteProgress& progress, std::unique_ptr<BlobUpload> upload) {
    auto& session = client.session();
    Backoff backoff(session.retry_policy(), &session.cancel);
    while (true) {
        if (!upload) upload = std::make_unique<BlobUpload>(client, progress);
        try {
            upload_once(client, *upload, source, blob);
            return BlobOutcome::uploaded;
        } catch (const ChunkingRejected&) {
            session.chunking_rejected = true; // for this blob and every later one
        } catch (const TransportError&) {
            if (backoff.cancelled() || !backoff.next_attempt()) throw;
            backoff.wait();
        } catch (const RegistryError& error) {
            if (!retryable_status(error.status()) || !backoff.next_attempt()) throw;
            backoff.wait();
        }
        upload.reset();
        // The response may be what was lost: the blob may be complete already.
        if (client.blob_size(blob.digest)) return BlobOutcome::uploaded;
    }
}

} // namespace

BlobOutcome push_blob(RegistryClient& client, RangeReader& source, const Descriptor& blob,
                      const std::vector<std::string>& mount_from, const ByteProgress& progress) {
    if (client.blob_size(blob.digest)) return BlobOutcome::skipped;
    std::unique_ptr<BlobUpload> upload;
    if (try_mounts(client, blob.digest, mount_from, progress, upload)) return BlobOutcome::mounted;
    return upload_with_retries(client, source, blob, progress, std::move(upload));
}

BlobOutcome upload_blob(RegistryClient& client, RangeReader& source, const Descriptor& blob,
                        const ByteProgress& progress) {
    return upload_with_retries(client, source, blob, progress, nullptr);
}

std::optional<BlobOutcome> reuse_blob(RegistryClient& client, const Digest& digest,
                                      const std::vector<std::string>& mount_from) {
    if (client.blob_size(digest)) return BlobOutcome::skipped;
    // A refused mount opens an upload session that is left unused here (the registry expires
    // it): the upload that follows, if any, comes from write_blob with its own session.
    std::unique_ptr<BlobUpload> unused;
    if (try_mounts(client, digest, mount_from, {}, unused)) return BlobOutcome::mounted;
    return std::nullopt;
}

BlobOutcome push_blob_file(RegistryClient& client, const std::string& path, const Descriptor& blob,
                           const std::vector<std::string>& mount_from,
                           const ByteProgress& progress) {
    FileRangeReader file(path);
    if (file.size() != static_cast<std::uint64_t>(blob.size))
        throw InputError("blob " + blob.digest.str() + " is " + std::to_string(file.size()) +
                         " bytes on disk but its descriptor says " + std::to_string(blob.size));
    return push_blob(client, file, blob, mount_from, progress);
}

} // namespace ckimg::registry
