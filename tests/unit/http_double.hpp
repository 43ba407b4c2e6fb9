// A small HTTP/1.1 server in the test process, on 127.0.0.1 at a port the kernel picks, for unit
// tests of the registry code's edge behaviour. It exists because the real registry
// (docker-registry, which the e2e tests run) cannot be made to misbehave on demand: cut a
// transfer after N bytes (either way), answer a Range that goes backwards, refuse streaming, hand
// out a token answer without a token. One thread serves every connection (poll); every request is
// recorded (method, target, headers, body) and answered by the test's handler. Start in the
// constructor, stop (and join) in the destructor.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ckimg::test {

struct RecordedRequest {
    std::string method;
    std::string target;                                       // path and query, as sent
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased
    std::string body;                                         // de-chunked
    bool cut = false; // the double closed the connection before the body was whole (BodyCut)

    std::optional<std::string> header(const std::string& lowercase_name) const;
};

struct Reply {
    Reply(int status_ = 200, std::vector<std::pair<std::string, std::string>> headers_ = {},
          std::string body_ = {}, std::optional<std::size_t> cut_after_ = std::nullopt)
        : status(status_), headers(std::move(headers_)), body(std::move(body_)),
          cut_after(cut_after_) {}
    int status; // 0: close the connection without answering
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Announce the whole body (Content-Length) but close the connection after this many bytes.
    std::optional<std::size_t> cut_after;
};

using Handler = std::function<Reply(const RecordedRequest&)>;
// Asked once per request, when its head has arrived (method, target, headers; no body): a count
// of body bytes (as they come on the wire, chunk framing included) after which the double closes
// the connection without reading on or answering, the request recorded with `cut` set and no
// body; nullopt lets the request through to the handler.
using BodyCut = std::function<std::optional<std::size_t>(const RecordedRequest& head)>;

class HttpDouble {
public:
    explicit HttpDouble(Handler handler, BodyCut cut = {});
    ~HttpDouble();
    HttpDouble(const HttpDouble&) = delete;
    HttpDouble& operator=(const HttpDouble&) = delete;

    int port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<RecordedRequest> requests() const;

private:
    struct Connection;
    void serve();
    bool handle(Connection& connection); // false: close it

    Handler handler_;
    BodyCut cut_;
    int listener_ = -1;
    int stop_pipe_[2] = {-1, -1};
    int port_ = 0;
    mutable std::mutex mutex_;
    std::vector<RecordedRequest> requests_;
    std::thread thread_; // last: starts once everything it uses exists
};

} // namespace ckimg::test
