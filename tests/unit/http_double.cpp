#include "http_double.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace ckimg::test {

namespace {

std::string lower(std::string text) {
    for (auto& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
}

bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        auto n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

const char* reason(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 413:
        return "Payload Too Large";
    case 416:
        return "Range Not Satisfiable";
    default:
        return "Status";
    }
}

} // namespace

std::optional<std::string> RecordedRequest::header(const std::string& lowercase_name) const {
    for (const auto& [name, value] : headers)
        if (name == lowercase_name) return value;
    return std::nullopt;
}

struct HttpDouble::Connection {
    int fd = -1;
    std::string buffer;
    bool continued = false; // 100 Continue sent for the request in the buffer
    bool cut_asked = false; // cut_ was asked about the request in the buffer
    std::optional<std::size_t> cut_at;
};

HttpDouble::HttpDouble(Handler handler, BodyCut cut)
    : handler_(std::move(handler)), cut_(std::move(cut)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        auto message = std::string("http double: ") + std::strerror(errno);
        if (listener_ >= 0) ::close(listener_);
        throw std::runtime_error(message);
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
}

HttpDouble::~HttpDouble() {
    char byte = 0;
    (void)!::write(stop_pipe_[1], &byte, 1);
    thread_.join();
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
    ::close(listener_);
}

std::vector<RecordedRequest> HttpDouble::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void HttpDouble::serve() {
    std::vector<std::unique_ptr<Connection>> connections;
    for (;;) {
        std::vector<pollfd> fds{{stop_pipe_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
        for (const auto& connection : connections)
            fds.push_back({connection->fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents != 0) break;
        if (fds[1].revents & POLLIN) {
            int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                connections.push_back(std::make_unique<Connection>());
                connections.back()->fd = fd;
            }
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            auto& connection = *connections[i - 2];
            char chunk[64 << 10];
            auto n = ::recv(connection.fd, chunk, sizeof chunk, 0);
            bool keep = n > 0;
            if (keep) {
                connection.buffer.append(chunk, static_cast<std::size_t>(n));
                keep = handle(connection);
            }
            if (!keep) {
                ::close(connection.fd);
                connection.fd = -1;
            }
        }
        for (auto it = connections.begin(); it != connections.end();)
            it = (*it)->fd < 0 ? connections.erase(it) : it + 1;
    }
    for (const auto& connection : connections)
        ::close(connection->fd);
}

// Answers every complete request in the buffer.
bool HttpDouble::handle(Connection& connection) {
    for (;;) {
        auto& buffer = connection.buffer;
        auto head_end = buffer.find("\r\n\r\n");
        if (head_end == std::string::npos) return true;
        RecordedRequest request;
        std::size_t line_end = buffer.find("\r\n");
        auto line = buffer.substr(0, line_end);
        auto space1 = line.find(' ');
        auto space2 = line.find(' ', space1 + 1);
        request.method = line.substr(0, space1);
        request.target = line.substr(space1 + 1, space2 - space1 - 1);
        for (auto pos = line_end + 2; pos < head_end;) {
            auto end = buffer.find("\r\n", pos);
            auto header = buffer.substr(pos, end - pos);
            auto colon = header.find(':');
            auto value = header.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            request.headers.emplace_back(lower(header.substr(0, colon)), value);
            pos = end + 2;
        }
        if (!connection.continued &&
            lower(request.header("expect").value_or("")) == "100-continue") {
            connection.continued = true;
            const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!send_all(connection.fd, continue_line, sizeof continue_line - 1)) return false;
        }
        std::size_t consumed = head_end + 4;
        if (cut_ && !std::exchange(connection.cut_asked, true)) connection.cut_at = cut_(request);
        if (connection.cut_at && buffer.size() - consumed >= *connection.cut_at) {
            request.cut = true;
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            return false;
        }
        if (lower(request.header("transfer-encoding").value_or("")) == "chunked") {
            for (;;) {
                auto size_end = buffer.find("\r\n", consumed);
                if (size_end == std::string::npos) return true;
                auto size = std::stoul(buffer.substr(consumed, size_end - consumed), nullptr, 16);
                if (buffer.size() < size_end + 2 + size + 2) return true;
                request.body.append(buffer, size_end + 2, size);
                consumed = size_end + 2 + size + 2;
                if (size == 0) break; // no trailers are sent by libcurl
            }
        } else if (auto length = request.header("content-length")) {
            auto size = std::stoul(*length);
            if (buffer.size() < consumed + size) return true;
            request.body = buffer.substr(consumed, size);
            consumed += size;
        }
        buffer.erase(0, consumed);
        connection.continued = false;
        connection.cut_asked = false;
        connection.cut_at.reset();
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
        }
        auto reply = handler_(request);
        if (reply.status == 0) return false;
        std::string head =
            "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
        bool has_length = false;
        for (const auto& [name, value] : reply.headers) {
            head += name + ": " + value + "\r\n";
            has_length = has_length || lower(name) == "content-length";
        }
        if (!has_length && request.method != "HEAD")
            head += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
        head += "\r\n";
        auto body_size = request.method == "HEAD" ? 0 : reply.body.size();
        if (reply.cut_after) body_size = std::min(body_size, *reply.cut_after);
        if (!send_all(connection.fd, head.data(), head.size()) ||
            !send_all(connection.fd, reply.body.data(), body_size))
            return false;
        if (reply.cut_after) return false;
    }
}

} // namespace ckimg::test
