#include "registry/registry_client.hpp"

#include "registry/blob_upload.hpp"
#include "registry/registry_error.hpp"
#include "registry/registry_quirks.hpp"
#include "registry/url.hpp"

#include <ckimg/media_types.hpp>

#include <algorithm>

namespace ckimg::registry {

namespace {

constexpr int max_redirects = 5;
constexpr std::size_t max_manifest_response = std::size_t{64} << 10;

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string host_port_of(const Reference& ref) {
    auto host = ref.api_host();
    auto bracket = host.rfind(']');
    auto colon = host.rfind(':');
    bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
    return has_port ? host : host + ":443";
}

} // namespace

std::string push_scope(const std::string& repository) {
    return "repository:" + repository + ":pull,push";
}

std::string pull_scope(const std::string& repository) {
    return "repository:" + repository + ":pull";
}

bool is_manifest_media_type(const std::string& media_type) {
    return media_type == media_type::oci_manifest || media_type == media_type::oci_index ||
           media_type == media_type::docker_manifest ||
           media_type == media_type::docker_manifest_list;
}

RegistrySession::RegistrySession(const Reference& target, const RegistryOptions& options,
                                 const Context& context, bool for_push)
    : cancel(context.cancel), target_(target), options_(options) {
    auto settings = std::make_shared<HttpSettings>();
    settings->tls = std::make_shared<TlsPolicy>(options, host_port_of(target));
    settings->stall_timeout_seconds = options.timeout_seconds;
    // A server that accepts the connection and then says nothing (no TLS handshake) is a stall.
    settings->connect_timeout_seconds =
        std::min(settings->connect_timeout_seconds, options.timeout_seconds);
    settings->verbose = context.trace;
    http_ = settings;
    auto env = AuthEnvironment::from_process(options);
    env.warn = context.warn;
    auto credentials = find_credentials(env, target.registry, target.repository);
    std::vector<std::string> scopes;
    if (!target.repository.empty())
        scopes.push_back(for_push ? push_scope(target.repository) : pull_scope(target.repository));
    for (const auto& from : options.mount_from) {
        if (from != target.repository) scopes.push_back(pull_scope(from));
    }
    auth_ = std::make_unique<Authenticator>(credentials, scopes, options.insecure);
    chunk_size_ =
        options.chunk_size != 0 ? options.chunk_size : quirks_of(target.api_host()).chunk_size;
}

RetryPolicy RegistrySession::retry_policy(int retries) const {
    RetryPolicy policy;
    policy.retries = retries;
    policy.max_wait = std::chrono::seconds(std::max(options_.timeout_seconds, 1L));
    return policy;
}

std::string RegistrySession::base_url() const {
    std::lock_guard lock(mutex_);
    return base_url_;
}

void RegistrySession::set_base_url(const std::string& url) {
    std::lock_guard lock(mutex_);
    base_url_ = url;
}

RegistryClient::RegistryClient(RegistrySession& session)
    : session_(session), http_(session.http_settings(), &session.cancel) {}

std::string RegistryClient::repo_url(const std::string& suffix) const {
    return repo_url(session_.target().repository, suffix);
}

std::string RegistryClient::repo_url(const std::string& repository,
                                     const std::string& suffix) const {
    return session_.base_url() + "/v2/" + repository + suffix;
}

HttpResponse RegistryClient::send_once(HttpRequest request, bool& reauthenticated) {
    auto base = session_.base_url();
    auto plain = request;
    bool ours = !base.empty() && same_origin(request.url, base);
    if (ours) {
        if (auto header = session_.auth().header(http_, request.url); !header.empty())
            request.headers.push_back(header);
    }
    auto response = http_.send(request);
    if (response.status == 401 && ours && !reauthenticated &&
        session_.auth().on_unauthorized(response)) {
        reauthenticated = true;
        return send_once(std::move(plain), reauthenticated);
    }
    if (is_redirect(response.status) && (request.method == "GET" || request.method == "HEAD"))
        return follow_redirects(std::move(plain), std::move(response), reauthenticated);
    return response;
}

std::string RegistryClient::follow_location(const std::string& from,
                                            const std::string& location) const {
    auto next = Url::parse(from).resolve(location);
    // A blob of a TLS registry sent over plain HTTP would carry the checkpoint's memory in clear.
    if (Url::parse(from).scheme() == "https" && next.scheme() == "http" &&
        !session_.options().insecure)
        throw RegistryError("refusing to follow " + redact_url(from) + " to plain HTTP (" +
                            redact_url(next.str()) + "); --insecure allows it");
    return next.str();
}

// Redirects (blob storage on a CDN) are followed by hand so that the Authorization header is
// only ever attached by send_once, which sends it to the registry's own origin alone.
HttpResponse RegistryClient::follow_redirects(HttpRequest request, HttpResponse response,
                                              bool& reauthenticated) {
    // The count is the client's, not this call's: a same-origin hop goes back through send_once,
    // which comes back here, and a redirect loop must neither recurse nor go on without end.
    while (is_redirect(response.status)) {
        if (++redirects_ > max_redirects)
            throw RegistryError("more than " + std::to_string(max_redirects) + " redirects (" +
                                request.method + " " + redact_url(request.url) + ")");
        auto location = response.header("location");
        if (!location) return response;
        request.url = follow_location(request.url, *location);
        if (same_origin(request.url, session_.base_url()))
            return send_once(std::move(request), reauthenticated);
        response = http_.send(request);
    }
    return response;
}

HttpResponse RegistryClient::send(HttpRequest request, bool retry) {
    Backoff backoff(session_.retry_policy(retry ? session_.options().retries : 0),
                    &session_.cancel);
    return send_with_retries(backoff, [&] {
        bool reauthenticated = false;
        redirects_ = 0;
        return send_once(request, reauthenticated);
    });
}

std::optional<HttpResponse> RegistryClient::probe_url(const std::string& base, bool may_fall_back) {
    HttpRequest request;
    request.url = base + "/v2/";
    // Few retries: a registry that is not there should say so quickly, not after a minute.
    int retries = may_fall_back ? 0 : std::min(session_.options().retries, 2);
    Backoff backoff(session_.retry_policy(retries), &session_.cancel);
    try {
        return send_with_retries(backoff, [&] { return http_.send(request); });
    } catch (const TransportError&) {
        if (may_fall_back) return std::nullopt;
        throw;
    }
}

namespace {

// The spec does not require the version header, but every registry sends it or answers JSON; a
// web server answering 200 with a page is not a registry and would stall every later request.
bool looks_like_registry(const HttpResponse& response) {
    if (response.header("docker-distribution-api-version")) return true;
    auto type = response.header("content-type").value_or("");
    return type.empty() || type.find("json") != std::string::npos;
}

} // namespace

void RegistryClient::probe() {
    const auto& host = session_.target().api_host();
    bool insecure = session_.options().insecure;
    std::optional<HttpResponse> response;
    try {
        response = probe_url("https://" + host, insecure);
    } catch (const TransportError& error) {
        if (!error.tls_problem()) throw;
        throw RegistryError(std::string(error.what()) +
                            "; for a private CA use --ca-file, for plain HTTP --insecure");
    }
    std::string base = "https://" + host;
    if (!response) {
        base = "http://" + host;
        response = probe_url(base, false);
    }
    session_.set_base_url(base);
    if (response->status == 401) {
        session_.auth().on_unauthorized(*response);
        return;
    }
    if (response->status != 200 || !looks_like_registry(*response))
        throw response_error(*response, "GET", base + "/v2/", "not an OCI distribution registry?");
}

void RegistryClient::verify_credentials() {
    HttpRequest request;
    request.url = session_.base_url() + "/v2/";
    auto response = send(request);
    if (response.status == 401)
        throw response_error(response, "GET", request.url, "wrong username or password?");
    if (response.status != 200) throw failure(response, "GET", request.url);
}

RegistryError RegistryClient::failure(const HttpResponse& response, const std::string& method,
                                      const std::string& url) const {
    // A storage host the registry redirected to gets no credentials: its 401 is about its own
    // signed URL, and the message names the host that answered, not the registry.
    if (!response.url.empty() && !session_.base_url().empty() &&
        !same_origin(response.url, session_.base_url())) {
        auto host = Url::parse(response.url).host_port();
        return response_error(response, method, response.url,
                              "answered by " + host + ", where " + redact_url(url) +
                                  " redirected; ckimg sends it no credentials");
    }
    std::string hint;
    if (response.status == 401)
        hint = session_.auth().has_credentials() ? "the registry refused the credentials"
                                                 : "no credentials: use ckimg login or --creds";
    return response_error(response, method, url, hint);
}

std::optional<std::int64_t> RegistryClient::blob_size(const Digest& digest) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = repo_url("/blobs/" + digest.str());
    auto response = send(request);
    if (response.status == 404) return std::nullopt;
    if (response.status != 200) throw failure(response, "HEAD", request.url);
    auto length = response.header("content-length");
    try {
        return length ? std::stoll(*length) : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

ManifestPut RegistryClient::put_manifest(const std::string& reference,
                                         const std::string& media_type, const std::string& bytes) {
    HttpRequest request;
    request.method = "PUT";
    request.url = repo_url("/manifests/" + reference);
    request.headers.push_back("Content-Type: " + media_type);
    request.body = bytes;
    request.max_response = max_manifest_response;
    auto response = send(request);
    if (response.status != 201 && response.status != 200)
        throw failure(response, "PUT", request.url);
    Descriptor descriptor{media_type, sha256_of(bytes), static_cast<std::int64_t>(bytes.size()),
                          {},         std::nullopt,     std::nullopt};
    if (auto echoed = response.header("docker-content-digest");
        echoed && *echoed != descriptor.digest.str()) {
        throw RegistryError("registry stored the manifest under " + quote_network(*echoed) +
                            ", not " + descriptor.digest.str() + " (PUT " +
                            redact_url(request.url) + ")");
    }
    return {descriptor, response.header("oci-subject").has_value()};
}

} // namespace ckimg::registry
