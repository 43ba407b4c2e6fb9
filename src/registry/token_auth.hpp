// Authorization for one registry: anonymous, Basic, or the Bearer token flow (distribution's
// token.md): on a 401 carrying `Bearer realm=...,service=...`, GET realm?service=&scope= with
// Basic credentials when there are any (or POST an OAuth2 refresh token), keep the token until
// it expires, and fetch a new one once when the registry refuses it.
#pragma once

#include "registry/auth_config.hpp"
#include "registry/http_client.hpp"
#include "registry/www_authenticate.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ckimg::registry {

class Authenticator {
public:
    // `scopes`: e.g. "repository:team/app:pull,push". `insecure`: the user allowed plain HTTP.
    Authenticator(std::optional<Credentials> credentials, std::vector<std::string> scopes,
                  bool insecure);

    // The Authorization header line for a request to the registry, or "" for none.
    // Thread-safe; may fetch a token through `http`.
    std::string header(HttpClient& http, const std::string& registry_url);
    // Learns from a 401 (its WWW-Authenticate). True when retrying with the new authorization
    // can succeed; false when there is nothing new to offer (no credentials, same token).
    bool on_unauthorized(const HttpResponse& response);
    bool has_credentials() const { return credentials_.has_value(); }
    void add_scope(const std::string& scope);

private:
    struct Token {
        std::string value;
        std::chrono::steady_clock::time_point expiry;
    };
    std::string header_locked(HttpClient& http, const std::string& registry_url);
    Token fetch_token(HttpClient& http, const Challenge& challenge);
    void check_transport(const std::string& url) const;
    RegistryError without_secrets(const RegistryError& error) const;

    std::optional<Credentials> credentials_;
    std::vector<std::string> scopes_;
    bool insecure_;
    std::mutex mutex_;
    std::optional<Challenge> challenge_;
    std::optional<Token> token_;
};

std::string basic_authorization(const Credentials& credentials);

} // namespace ckimg::registry
