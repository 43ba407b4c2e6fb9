// A client of the OCI distribution API for one repository. A RegistrySession holds what the
// threads of one push share (settings, authorization, what the probe learned); each thread
// owns a RegistryClient (its own connection).
#pragma once

#include "registry/http_client.hpp"
#include "registry/retry.hpp"
#include "registry/token_auth.hpp"

#include <ckimg/descriptor.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ckimg::registry {

class RegistrySession {
public:
    // Looks up credentials (auth files, helpers) and builds the TLS policy; does no I/O on the
    // network. `scopes` beyond the target's push scope come from options.mount_from. A session
    // that only reads (`for_push` false) asks for the pull scope alone, which read-only
    // credentials get. From `context`: the cancel token its own is a child of, the warnings
    // (auth files), the trace (--verbose).
    RegistrySession(const Reference& target, const RegistryOptions& options,
                    const Context& context = {}, bool for_push = true);

    const Reference& target() const { return target_; }
    const RegistryOptions& options() const { return options_; }
    const std::shared_ptr<const HttpSettings>& http_settings() const { return http_; }
    Authenticator& auth() { return *auth_; }
    RetryPolicy retry_policy(int retries) const;
    RetryPolicy retry_policy() const { return retry_policy(options_.retries); }
    std::uint64_t chunk_size() const { return chunk_size_; }

    // "https://host:port", known once probe() succeeded.
    std::string base_url() const;
    void set_base_url(const std::string& url);

    // Cancelled by the caller's token, or by cancel() here when one transfer of a copy failed
    // and the others should stop; every transfer, retry wait and upload loop watches it.
    CancelToken cancel;
    std::atomic<bool> chunking_rejected{false};

private:
    Reference target_;
    RegistryOptions options_;
    std::shared_ptr<const HttpSettings> http_;
    std::unique_ptr<Authenticator> auth_;
    std::uint64_t chunk_size_;
    mutable std::mutex mutex_;
    std::string base_url_;
};

// What the registry said to a stored manifest.
struct ManifestPut {
    Descriptor descriptor;
    bool subject_acknowledged = false; // OCI-Subject: it keeps the referrers list itself
};

class RegistryClient {
public:
    explicit RegistryClient(RegistrySession& session);

    // GET /v2/: https first, plain http only when insecure; learns the auth challenge.
    void probe();
    // Checks that the credentials are accepted (login): GET /v2/ with authorization.
    void verify_credentials();
    // Sends with authorization (re-authenticating once on 401) and, when `retry`, retries on
    // transport errors and retryable statuses. GET/HEAD follow redirects; authorization goes to
    // the registry's own origin only.
    HttpResponse send(HttpRequest request, bool retry = true);

    // base + "/v2/" + repository + suffix, e.g. "/blobs/uploads/".
    std::string repo_url(const std::string& suffix) const;
    std::string repo_url(const std::string& repository, const std::string& suffix) const;
    // The blob's size when the repository has it, nullopt when not (HEAD).
    std::optional<std::int64_t> blob_size(const Digest& digest);
    // PUT /manifests/<reference>; verifies Docker-Content-Digest against the bytes.
    ManifestPut put_manifest(const std::string& reference, const std::string& media_type,
                             const std::string& bytes);

    // One-line error for a refused request, with a hint when it was about credentials.
    RegistryError failure(const HttpResponse& response, const std::string& method,
                          const std::string& url) const;

    // The URL a Location header names, resolved against `from`; refuses a step from https down
    // to plain http unless --insecure.
    std::string follow_location(const std::string& from, const std::string& location) const;

    RegistrySession& session() { return session_; }
    HttpClient& http() { return http_; }

private:
    HttpResponse send_once(HttpRequest request, bool& reauthenticated);
    HttpResponse follow_redirects(HttpRequest request, HttpResponse response,
                                  bool& reauthenticated);
    std::optional<HttpResponse> probe_url(const std::string& base, bool may_fall_back);

    RegistrySession& session_;
    HttpClient http_;
    int redirects_ = 0; // hops followed for the current request, same-origin ones included
};

// "repository:NAME:pull,push"
std::string push_scope(const std::string& repository);
std::string pull_scope(const std::string& repository);
bool is_manifest_media_type(const std::string& media_type);

} // namespace ckimg::registry
