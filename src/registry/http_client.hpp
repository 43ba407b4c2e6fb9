// One HTTP exchange at a time over a libcurl easy handle (kept per thread so connections are
// reused). No redirects are followed here and nothing is retried: callers decide, because only
// they know whether a request may be repeated and where credentials may go.
#pragma once

#include "registry/tls_config.hpp"

#include <ckimg/context.hpp>
#include <ckimg/error.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckimg::registry {

// A request body streamed in bounded pieces (a blob from disk), which can start over for a retry.
class RequestBody {
public:
    // size() of a body whose length is known only at its end (a blob being compressed): it goes
    // out with Transfer-Encoding: chunked.
    static constexpr std::uint64_t unknown_size = ~std::uint64_t{0};

    virtual ~RequestBody() = default;
    virtual std::uint64_t size() const = 0;
    virtual std::size_t read(char* buffer, std::size_t capacity) = 0;
    virtual void rewind() = 0;
};

struct HttpResponse;

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    std::string body;                 // small bodies (manifests, tokens)
    RequestBody* stream = nullptr;    // large bodies; takes precedence over `body`
    std::size_t max_response = 1 << 20;
    // When set, the body of a 2xx response goes here piece by piece instead of into `body`
    // (blob downloads: memory stays bounded); `head` has the status and the headers. Other
    // responses (errors, redirects) are kept in `body`. What it throws aborts the transfer and
    // comes out of send().
    std::function<void(const HttpResponse& head, std::string_view piece)> body_sink;
};

struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased
    std::string body;                                         // cut at max_response
    std::string url; // what answered: after redirects, another host than the one asked

    std::optional<std::string> header(std::string_view lowercase_name) const;
};

// The connection failed, timed out or broke mid-transfer: worth a retry.
class TransportError : public RegistryError {
public:
    TransportError(const std::string& message, bool tls_problem)
        : RegistryError(message, 0), tls_problem_(tls_problem) {}
    bool tls_problem() const { return tls_problem_; }

private:
    bool tls_problem_;
};

struct HttpSettings {
    std::shared_ptr<const TlsPolicy> tls;
    long stall_timeout_seconds = 60;
    // A transfer that moves fewer bytes than this within any stall_timeout_seconds fails: a
    // trickle is no transfer (0: no minimum).
    std::uint64_t min_bytes_per_timeout = 16 * 1024;
    long connect_timeout_seconds = 30;
    bool verbose = false;
};

class HttpClient {
public:
    explicit HttpClient(std::shared_ptr<const HttpSettings> settings,
                        const CancelToken* cancel = nullptr);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Throws TransportError on transport failure (or cancellation); any HTTP status is returned.
    HttpResponse send(const HttpRequest& request);
    const HttpSettings& settings() const { return *settings_; }
    bool cancelled() const { return cancel_ != nullptr && cancel_->cancelled(); }
    const CancelToken* cancel_token() const { return cancel_; }

private:
    struct Impl;
    std::shared_ptr<const HttpSettings> settings_;
    const CancelToken* cancel_;
    std::unique_ptr<Impl> impl_;
};

} // namespace ckimg::registry
