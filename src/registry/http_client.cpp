#include "registry/http_client.hpp"

#include "registry/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>

#ifndef CKIMG_VERSION
#define CKIMG_VERSION "dev"
#endif

namespace ckimg::registry {

namespace {

constexpr long upload_buffer_size = 512L * 1024;

void global_init() {
    // curl_global_init is not thread-safe and must run once before any handle exists.
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return std::string(text);
}

// What one transfer writes into; curl callbacks receive a pointer to it.
struct Exchange {
    const HttpRequest* request = nullptr;
    HttpResponse* response = nullptr;
    std::size_t body_offset = 0; // into request->body
    const CancelToken* cancel = nullptr;
    const TlsConfig* tls = nullptr;
    std::exception_ptr sink_error; // what request->body_sink threw
    bool oversized = false;        // the kept body went past request->max_response
    // Stall detection (--timeout): the time the byte counts last moved.
    long stall_seconds = 0;
    curl_off_t moved = -1;
    std::chrono::steady_clock::time_point last_moved = std::chrono::steady_clock::now();
    bool stalled = false;
    // The minimum rate: the byte count sampled over the last --timeout seconds.
    std::uint64_t min_window_bytes = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::deque<std::pair<std::chrono::steady_clock::time_point, curl_off_t>> samples;
    curl_off_t window_moved = -1; // what the last --timeout seconds moved, when it was too little
};

// "HTTP/1.1 200 OK", "HTTP/2 206": the status, known before the body (for body_sink).
long status_of(std::string_view line) {
    auto space = line.find(' ');
    if (space == std::string_view::npos) return 0;
    long status = 0;
    for (auto c : line.substr(space + 1, 3)) {
        if (c < '0' || c > '9') return 0;
        status = status * 10 + (c - '0');
    }
    return status;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        exchange->response->headers.clear(); // a new response (after 100 Continue)
        exchange->response->status = status_of(line);
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        exchange->response->headers.emplace_back(lower(trim(line.substr(0, colon))),
                                                 trim(line.substr(colon + 1)));
    }
    return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const auto& sink = exchange->request->body_sink;
    if (sink && exchange->response->status / 100 == 2) {
        try {
            sink(*exchange->response, std::string_view(data, size * count));
            return size * count;
        } catch (...) {
            exchange->sink_error = std::current_exception();
            return 0; // makes curl abort the transfer
        }
    }
    auto& body = exchange->response->body;
    if (size * count > exchange->request->max_response - body.size()) {
        // More than a registry's answer can be (a 3 GB "manifest", an endless chunked body):
        // reading on would never end or only waste time, so the transfer stops here.
        exchange->oversized = true;
        return 0;
    }
    body.append(data, size * count);
    return size * count;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const auto& request = *exchange->request;
    if (request.stream != nullptr) {
        try {
            return request.stream->read(buffer, size * count);
        } catch (...) {
            return CURL_READFUNC_ABORT;
        }
    }
    std::size_t n = std::min(size * count, request.body.size() - exchange->body_offset);
    std::memcpy(buffer, request.body.data() + exchange->body_offset, n);
    exchange->body_offset += n;
    return n;
}

// Whether the last --timeout seconds moved fewer than min_window_bytes: a trickle (a byte every
// few seconds) never stalls, yet would hold a transfer open forever. Samples are at least
// sample_spacing apart, so a window holds a bounded number of them.
bool too_slow(Exchange& exchange, std::chrono::steady_clock::time_point now, curl_off_t total) {
    constexpr auto sample_spacing = std::chrono::milliseconds(250);
    auto& samples = exchange.samples;
    if (samples.empty() || now - samples.back().first >= sample_spacing)
        samples.emplace_back(now, total);
    auto window = std::chrono::seconds(exchange.stall_seconds);
    // The newest sample at or before the window's start is where the window's count begins.
    while (samples.size() > 1 && samples[1].first <= now - window)
        samples.pop_front();
    if (exchange.min_window_bytes == 0 || now - exchange.started < window ||
        samples.front().first > now - window)
        return false;
    auto in_window = total - samples.front().second;
    if (in_window >= static_cast<curl_off_t>(exchange.min_window_bytes)) return false;
    exchange.window_moved = in_window;
    return true;
}

// Also the stall timeout and the minimum rate: curl's low-speed limit averages the rate over
// several seconds and restarts with every byte, so after a burst it fires late and a trickle
// keeps it quiet forever; counting from the last byte moved fires when --timeout says.
int on_progress(void* user, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t uploaded) {
    auto* exchange = static_cast<Exchange*>(user);
    if (exchange->cancel != nullptr && exchange->cancel->cancelled()) return 1;
    auto now = std::chrono::steady_clock::now();
    if (exchange->stall_seconds <= 0) return 0;
    if (downloaded + uploaded != exchange->moved) {
        exchange->moved = downloaded + uploaded;
        exchange->last_moved = now;
    } else if (now - exchange->last_moved >= std::chrono::seconds(exchange->stall_seconds)) {
        exchange->stalled = true;
        return 1;
    }
    return too_slow(*exchange, now, downloaded + uploaded) ? 1 : 0;
}

CURLcode on_ssl_context(CURL*, void* ssl_ctx, void* user) {
    static_cast<const CaBundle*>(user)->add_to(ssl_ctx);
    return CURLE_OK;
}

// --verbose: one line per exchange on stderr. Request headers are named, never shown (they carry
// Authorization); URLs lose user info and query (upload state, signed storage URLs).
void trace(const HttpRequest& request, const HttpResponse& response, const char* failure) {
    std::string names;
    for (const auto& header : request.headers)
        names += (names.empty() ? "" : ", ") + header.substr(0, header.find(':'));
    std::string answer = failure != nullptr ? std::string("failed: ") + failure
                                            : "HTTP " + std::to_string(response.status);
    if (auto location = response.header("location")) {
        try {
            answer += ", Location: " + redact_url(resolve_url(request.url, *location));
        } catch (const Error&) {
            answer += ", an invalid Location"; // the caller says why, once it follows it
        }
    }
    std::fprintf(stderr, "ckimg: %s %s%s%s -> %s\n", request.method.c_str(),
                 redact_url(request.url).c_str(), names.empty() ? "" : " with ", names.c_str(),
                 answer.c_str());
}

bool is_tls_error(CURLcode code) {
    return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CONNECT_ERROR ||
           code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE ||
           code == CURLE_SSL_CIPHER;
}

} // namespace

std::optional<std::string> HttpResponse::header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers) {
        if (name == lowercase_name) return value;
    }
    return std::nullopt;
}

struct HttpClient::Impl {
    CURL* curl = nullptr;
    char error[CURL_ERROR_SIZE] = {};
};

HttpClient::HttpClient(std::shared_ptr<const HttpSettings> settings, const CancelToken* cancel)
    : settings_(std::move(settings)), cancel_(cancel), impl_(std::make_unique<Impl>()) {
    global_init();
    impl_->curl = curl_easy_init();
    if (impl_->curl == nullptr) throw RegistryError("cannot initialise libcurl");
}

HttpClient::~HttpClient() {
    curl_easy_cleanup(impl_->curl);
}

namespace {

void set_tls(CURL* curl, const TlsConfig& tls) {
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
    if (tls.extra_cas) {
#if LIBCURL_VERSION_NUM >= 0x075700
        // A cached store would be shared with hosts these extra CAs are not meant for.
        curl_easy_setopt(curl, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_context);
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, tls.extra_cas.get());
    }
    if (!tls.cert_file.empty()) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
        curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());
    }
}

void set_method_and_body(CURL* curl, const HttpRequest& request) {
    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
        // Every other method goes through the upload path, so bodies always stream and carry a
        // Content-Length (0 included: some registries require it on POST), except a body whose
        // length is not known yet, which goes chunked.
        auto size = request.stream != nullptr ? request.stream->size() : request.body.size();
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        // -1: libcurl sends the body chunked (HTTP/1.1).
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         size == RequestBody::unknown_size ? curl_off_t{-1}
                                                           : static_cast<curl_off_t>(size));
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
}

// Every header value may hold what the network gave (a token, an upload's state): CR or LF there
// would end the header and start one of the sender's choosing on every later request.
void check_headers(const HttpRequest& request) {
    for (const auto& header : request.headers) {
        if (has_control_char(header))
            throw RegistryError("refusing to send a " +
                                header.substr(0, header.find(':')).substr(0, 40) +
                                " header holding control characters (" + request.method + " " +
                                redact_url(request.url) + ")");
    }
}

} // namespace

HttpResponse HttpClient::send(const HttpRequest& request) {
    CURL* curl = impl_->curl;
    curl_easy_reset(curl); // keeps the connection cache, forgets the previous request
    HttpResponse response;
    response.url = request.url;
    Exchange exchange;
    exchange.request = &request;
    exchange.response = &response;
    exchange.cancel = cancel_;
    exchange.stall_seconds = settings_->stall_timeout_seconds;
    exchange.min_window_bytes = settings_->min_bytes_per_timeout;
    auto url = Url::parse(request.url);
    check_headers(request);
    auto tls = settings_->tls->for_host(url.host_port());
    if (request.stream != nullptr) request.stream->rewind();

    // The very parse that decided where credentials go (registry_client.cpp): libcurl connects
    // with it instead of parsing the text again.
    curl_easy_setopt(curl, CURLOPT_CURLU, url.handle());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ckimg/" CKIMG_VERSION);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, impl_->error);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, settings_->connect_timeout_seconds);
    // A stall, not a total-time limit (a large blob on a slow link may take hours): on_progress.
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, upload_buffer_size);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &exchange);
    if (url.scheme() == "https") set_tls(curl, *tls);
    set_method_and_body(curl, request);

    curl_slist* headers = nullptr;
    for (const auto& header : request.headers)
        headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    impl_->error[0] = '\0';
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

    if (exchange.sink_error) std::rethrow_exception(exchange.sink_error);
    if (exchange.oversized)
        throw RegistryError("the answer to " + request.method + " " + redact_url(request.url) +
                            " is larger than " + std::to_string(request.max_response) +
                            " bytes; refusing to read more");
    if (code != CURLE_OK) {
        std::string detail = impl_->error[0] != '\0' ? impl_->error : curl_easy_strerror(code);
        if (code == CURLE_ABORTED_BY_CALLBACK && cancelled()) {
            // Not a transport failure, and not to be retried: the caller asked to stop.
            if (settings_->verbose) trace(request, response, "cancelled");
            throw Cancelled();
        }
        if (exchange.stalled || code == CURLE_OPERATION_TIMEDOUT)
            detail = "no data from the registry for " +
                     std::to_string(settings_->stall_timeout_seconds) + " s (see --timeout)";
        else if (exchange.window_moved >= 0)
            detail = "the transfer is too slow: " + std::to_string(exchange.window_moved) +
                     " bytes in the last " + std::to_string(settings_->stall_timeout_seconds) +
                     " s, under the " + std::to_string(settings_->min_bytes_per_timeout) +
                     " bytes that --timeout asks for";
        if (settings_->verbose) trace(request, response, detail.c_str());
        throw TransportError(detail + " (" + request.method + " " + redact_url(request.url) + ")",
                             is_tls_error(code));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    if (settings_->verbose) trace(request, response, nullptr);
    return response;
}

} // namespace ckimg::registry
