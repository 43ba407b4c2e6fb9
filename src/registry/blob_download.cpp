#include "registry/blob_download.hpp"

#include "core/byte_pipe.hpp"
#include "registry/retry.hpp"

#include <ckimg/error.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <thread>

namespace ckimg::registry {

namespace {

// The hand-over between the download thread and the reader: four 256 KiB blocks, about 1 MiB.
constexpr std::size_t kPipeBlock = 256 << 10;
constexpr std::size_t kPipeBlocks = 4;

// How many bytes of a 206 answer to drop so that the stream continues at `delivered`.
std::uint64_t range_skip(const HttpResponse& head, std::uint64_t delivered,
                         const std::string& where) {
    auto range = head.header("content-range").value_or("");
    unsigned long long start = 0;
    if (std::sscanf(range.c_str(), "bytes %llu-", &start) != 1 || start > delivered)
        throw RegistryError(where + ": the registry answered a resumed download with range \"" +
                            range.substr(0, 60) + "\"");
    return delivered - start;
}

class Download {
public:
    Download(RegistrySession& session, const Descriptor& blob, std::string where, BytePipe& pipe)
        : session_(session), blob_(blob), where_(std::move(where)), pipe_(pipe) {}

    // Runs the GET, resuming after transport errors and retrying retryable statuses.
    void run() {
        RegistryClient client(session_);
        auto url = client.repo_url("/blobs/" + blob_.digest.str());
        Backoff backoff(session_.retry_policy(), &session_.cancel);
        for (;;) {
            auto before = delivered_;
            std::optional<HttpResponse> response;
            try {
                response = attempt(client, url);
            } catch (const TransportError&) {
                // Real progress (a MiB, or the rest of the blob) means the link works, mostly;
                // a registry that cuts every answer after a few bytes spends the retries.
                if (delivered_ - before >= min_progress(before)) backoff.reset();
                if (backoff.cancelled() || !backoff.next_attempt()) throw;
                backoff.wait();
                continue;
            }
            if (finished(*response)) return;
            if (retryable_status(response->status) && backoff.next_attempt()) {
                backoff.wait(&*response);
                continue;
            }
            if (response->status == 404)
                throw RegistryError(where_ + ": blob " + blob_.digest.str() +
                                        " is not in the repository (HTTP 404)",
                                    404);
            throw client.failure(*response, "GET", url);
        }
    }

private:
    std::uint64_t min_progress(std::uint64_t from) const {
        auto size = static_cast<std::uint64_t>(std::max<std::int64_t>(blob_.size, 0));
        return std::max<std::uint64_t>(
            std::min<std::uint64_t>(kPipeBlock * kPipeBlocks, size - std::min(size, from)), 1);
    }

    bool finished(const HttpResponse& response) const {
        // 416 after a break at the very end: everything had arrived.
        return response.status == 200 || response.status == 206 ||
               (response.status == 416 && delivered_ == static_cast<std::uint64_t>(blob_.size));
    }

    HttpResponse attempt(RegistryClient& client, const std::string& url) {
        HttpRequest request;
        request.url = url;
        if (delivered_ > 0)
            request.headers.push_back("Range: bytes=" + std::to_string(delivered_) + "-");
        std::optional<std::uint64_t> skip;
        request.body_sink = [&](const HttpResponse& head, std::string_view piece) {
            if (!skip)
                skip = head.status == 206 ? range_skip(head, delivered_, where_) : delivered_;
            auto drop = static_cast<std::size_t>(std::min<std::uint64_t>(*skip, piece.size()));
            *skip -= drop;
            piece.remove_prefix(drop);
            if (piece.empty()) return;
            // The reader has gone: end the transfer (the exception stops libcurl's callback).
            if (!pipe_.write(reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size()))
                throw Cancelled("the blob's reader has stopped");
            delivered_ += piece.size();
        };
        // Not retried inside: a retry there would hand the body to the sink twice.
        return client.send(request, false);
    }

    RegistrySession& session_;
    Descriptor blob_;
    std::string where_;
    BytePipe& pipe_;
    std::uint64_t delivered_ = 0;
};

class BlobStream final : public ByteSource {
public:
    BlobStream(std::shared_ptr<RegistrySession> session, const Descriptor& blob, std::string where)
        : session_(std::move(session)), pipe_(kPipeBlock, kPipeBlocks) {
        thread_ = std::thread([this, blob, where = std::move(where)] {
            try {
                Download(*session_, blob, where, pipe_).run();
                pipe_.close();
            } catch (...) {
                // A transfer aborted by the token says "cancelled" as a TransportError: the
                // reader gets Cancelled, so that the caller sees an interruption as one.
                pipe_.fail(session_->cancel.cancelled() ? std::make_exception_ptr(Cancelled())
                                                        : std::current_exception());
            }
        });
    }

    ~BlobStream() override {
        pipe_.abandon();
        thread_.join();
    }

    BlobStream(const BlobStream&) = delete;
    BlobStream& operator=(const BlobStream&) = delete;

    // Blocks until bytes arrive or the download thread ends, which a cancellation makes it do.
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        session_->cancel.throw_if_cancelled();
        return pipe_.read(buffer, capacity);
    }

private:
    std::shared_ptr<RegistrySession> session_;
    BytePipe pipe_;
    std::thread thread_; // last: starts once everything it uses exists
};

} // namespace

std::unique_ptr<ByteSource> download_blob(std::shared_ptr<RegistrySession> session,
                                          const Descriptor& blob, std::string where) {
    return std::make_unique<BlobStream>(std::move(session), blob, std::move(where));
}

} // namespace ckimg::registry
