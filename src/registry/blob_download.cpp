#include "registry/blob_download.hpp"

#include "registry/retry.hpp"

#include <ckimg/error.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace ckimg::registry {

namespace {

constexpr std::size_t kPipeCapacity = 1 << 20;
constexpr auto kPollInterval = std::chrono::milliseconds(100);

// Thrown into libcurl's write callback when the reader is gone, to end the transfer quietly.
struct Abandoned {};

// The bounded hand-over between the download thread and the reader.
class Pipe {
public:
    void push(std::string_view piece) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return buffered_ < kPipeCapacity || abandoned_; });
        if (abandoned_) throw Abandoned{};
        chunks_.emplace_back(piece);
        buffered_ += piece.size();
        changed_.notify_all();
    }

    void close(std::exception_ptr error) {
        std::lock_guard lock(mutex_);
        closed_ = true;
        error_ = std::move(error);
        changed_.notify_all();
    }

    void abandon() {
        std::lock_guard lock(mutex_);
        abandoned_ = true;
        changed_.notify_all();
    }

    // Bytes, 0 at the end, nullopt when nothing came within the poll interval.
    std::optional<std::size_t> pop(std::uint8_t* buffer, std::size_t capacity) {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, kPollInterval, [&] { return !chunks_.empty() || closed_; }))
            return std::nullopt;
        if (chunks_.empty()) {
            if (error_) std::rethrow_exception(error_);
            return 0;
        }
        std::size_t n = 0;
        while (n < capacity && !chunks_.empty()) {
            auto& front = chunks_.front();
            auto take = std::min(capacity - n, front.size() - offset_);
            std::memcpy(buffer + n, front.data() + offset_, take);
            n += take;
            offset_ += take;
            if (offset_ == front.size()) {
                buffered_ -= front.size();
                chunks_.pop_front();
                offset_ = 0;
            }
        }
        changed_.notify_all();
        return n;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> chunks_;
    std::size_t offset_ = 0; // into chunks_.front()
    std::size_t buffered_ = 0;
    bool closed_ = false;
    bool abandoned_ = false;
    std::exception_ptr error_;
};

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
    Download(RegistrySession& session, const Descriptor& blob, std::string where, Pipe& pipe)
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
            std::min<std::uint64_t>(kPipeCapacity, size - std::min(size, from)), 1);
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
            pipe_.push(piece);
            delivered_ += piece.size();
        };
        // Not retried inside: a retry there would hand the body to the sink twice.
        return client.send(request, false);
    }

    RegistrySession& session_;
    Descriptor blob_;
    std::string where_;
    Pipe& pipe_;
    std::uint64_t delivered_ = 0;
};

class BlobStream final : public ByteSource {
public:
    BlobStream(std::shared_ptr<RegistrySession> session, const Descriptor& blob, std::string where,
               const std::atomic<bool>* cancel)
        : session_(std::move(session)), cancel_(cancel) {
        thread_ = std::thread([this, blob, where = std::move(where)] {
            try {
                Download(*session_, blob, where, pipe_).run();
                pipe_.close(nullptr);
            } catch (const Abandoned&) {
                pipe_.close(nullptr);
            } catch (...) {
                pipe_.close(std::current_exception());
            }
        });
    }

    ~BlobStream() override {
        pipe_.abandon();
        thread_.join();
    }

    BlobStream(const BlobStream&) = delete;
    BlobStream& operator=(const BlobStream&) = delete;

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        for (;;) {
            if (auto n = pipe_.pop(buffer, capacity)) return *n;
            if (cancel_ != nullptr && cancel_->load()) {
                session_->cancel = true; // libcurl's progress callback aborts the transfer
                throw Error("interrupted");
            }
        }
    }

private:
    std::shared_ptr<RegistrySession> session_;
    const std::atomic<bool>* cancel_;
    Pipe pipe_;
    std::thread thread_; // last: starts once everything it uses exists
};

} // namespace

std::unique_ptr<ByteSource> download_blob(std::shared_ptr<RegistrySession> session,
                                          const Descriptor& blob, std::string where,
                                          const std::atomic<bool>* cancel) {
    return std::make_unique<BlobStream>(std::move(session), blob, std::move(where), cancel);
}

} // namespace ckimg::registry
