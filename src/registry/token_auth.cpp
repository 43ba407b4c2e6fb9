#include "registry/token_auth.hpp"

#include "registry/base64.hpp"
#include "registry/registry_error.hpp"
#include "registry/retry.hpp"
#include "registry/url.hpp"

#include "core/json_limits.hpp"
#include "core/redact.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

namespace ckimg::registry {

namespace {

// The spec's default lifetime when the token server does not say; tokens are dropped a little
// before they expire so that a request does not race the expiry.
constexpr std::chrono::seconds default_token_lifetime{60};
constexpr std::chrono::seconds expiry_margin{10};
constexpr std::string_view kRedacted = "<redacted>";

std::optional<Challenge> pick_challenge(const HttpResponse& response) {
    std::optional<Challenge> basic;
    for (const auto& [name, value] : response.headers) {
        if (name != "www-authenticate") continue;
        for (auto& challenge : parse_www_authenticate(value)) {
            if (challenge.scheme == "bearer" && !challenge.param("realm").empty()) return challenge;
            if (challenge.scheme == "basic") basic = challenge;
        }
    }
    return basic;
}

std::string token_query(const Challenge& challenge, const std::vector<std::string>& scopes) {
    std::string query;
    auto add = [&](const std::string& name, const std::string& value) {
        query += (query.empty() ? "" : "&") + name + "=" + percent_encode(value);
    };
    if (auto service = challenge.param("service"); !service.empty()) add("service", service);
    for (const auto& scope : scopes)
        add("scope", scope);
    return query;
}

} // namespace

std::string basic_authorization(const Credentials& credentials) {
    return "Authorization: Basic " +
           base64_encode(credentials.username + ":" + credentials.password);
}

Authenticator::Authenticator(std::optional<Credentials> credentials,
                             std::vector<std::string> scopes, bool insecure)
    : credentials_(std::move(credentials)), scopes_(std::move(scopes)), insecure_(insecure) {}

void Authenticator::add_scope(const std::string& scope) {
    std::lock_guard lock(mutex_);
    if (std::find(scopes_.begin(), scopes_.end(), scope) == scopes_.end()) {
        scopes_.push_back(scope);
        token_.reset(); // the next request asks for a token that covers the new scope
    }
}

// Credentials (and tokens, which stand for them) never cross plain HTTP, except to a loopback
// registry the user explicitly marked insecure.
void Authenticator::check_transport(const std::string& url) const {
    auto parsed = Url::parse(url);
    if (parsed.scheme() == "https" || (insecure_ && is_loopback_host(parsed.host()))) return;
    throw RegistryError("refusing to send credentials over plain HTTP to " + parsed.host() + " (" +
                        redact_url(url) + "): " +
                        (insecure_ ? "plain HTTP carries credentials to a loopback host only"
                                   : "use https, or --insecure for a loopback host"));
}

std::string Authenticator::header(HttpClient& http, const std::string& registry_url) {
    std::lock_guard lock(mutex_);
    return header_locked(http, registry_url);
}

std::string Authenticator::header_locked(HttpClient& http, const std::string& registry_url) {
    if (!challenge_) return {};
    if (challenge_->scheme == "basic") {
        if (!credentials_ || credentials_->username.empty()) return {};
        check_transport(registry_url);
        return basic_authorization(*credentials_);
    }
    if (token_ && std::chrono::steady_clock::now() >= token_->expiry) token_.reset();
    if (!token_) token_ = fetch_token(http, *challenge_);
    if (token_->value.empty()) return {};
    check_transport(registry_url);
    return "Authorization: Bearer " + token_->value;
}

bool Authenticator::on_unauthorized(const HttpResponse& response) {
    std::lock_guard lock(mutex_);
    auto challenge = pick_challenge(response);
    if (!challenge) return false;
    bool first = !challenge_.has_value();
    bool had_token = token_.has_value();
    challenge_ = challenge;
    token_.reset();
    if (challenge->scheme == "basic") return first && credentials_.has_value();
    // A Bearer challenge: a fresh token may carry what the old one lacked (scope, expiry).
    return first || had_token;
}

// An error whose text came in part from the token server (its error body), which may quote the
// request back: the secrets the request carried do not reach the user's terminal or logs.
RegistryError Authenticator::without_secrets(const RegistryError& error) const {
    std::string message = error.what();
    if (credentials_) {
        for (const auto& secret :
             {credentials_->identity_token, percent_encode(credentials_->identity_token),
              credentials_->password, percent_encode(credentials_->password)}) {
            // Shorter ones would mangle the message more than they hide.
            if (secret.size() >= 4) message = replace_secret(std::move(message), secret, kRedacted);
        }
    }
    return RegistryError(message, error.status());
}

Authenticator::Token Authenticator::fetch_token(HttpClient& http, const Challenge& challenge) {
    HttpRequest request;
    auto realm = challenge.param("realm");
    auto query = token_query(challenge, scopes_);
    if (credentials_ && !credentials_->identity_token.empty()) {
        // An identity token is an OAuth2 refresh token: traded by POST (docker's token flow).
        request.method = "POST";
        request.url = realm;
        request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        request.body = query + "&grant_type=refresh_token&client_id=ckimg&refresh_token=" +
                       percent_encode(credentials_->identity_token);
    } else {
        request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + query;
        if (credentials_ && !credentials_->username.empty())
            request.headers.push_back(basic_authorization(*credentials_));
    }
    if (!request.headers.empty() || request.method == "POST") check_transport(realm);
    RetryPolicy policy;
    policy.retries = 3;
    policy.max_wait = std::chrono::seconds(std::max(http.settings().stall_timeout_seconds, 1L));
    Backoff backoff(policy, http.cancel_token());
    auto response = send_with_retries(backoff, [&] { return http.send(request); });
    if (response.status != 200) {
        std::string hint = response.status == 401 || response.status == 403
                               ? (credentials_ ? "token server refused the credentials"
                                               : "token server requires credentials")
                               : "";
        throw without_secrets(response_error(response, request.method, realm, hint));
    }
    nlohmann::json json;
    try {
        json = parse_untrusted_json(response.body, "token");
    } catch (const InputError&) {
    }
    if (!json.is_object())
        throw RegistryError("token server answered without JSON (" + request.method + " " +
                            redact_url(realm) + ")");
    // Any field may have any type: only a string token and an integer lifetime are taken.
    auto text = [&](const char* key) {
        auto it = json.find(key);
        return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Token token;
    token.value = text("token");
    if (token.value.empty()) token.value = text("access_token");
    if (token.value.empty())
        throw RegistryError("token server answered without a token (" + request.method + " " +
                            redact_url(realm) + ")");
    // It goes into an Authorization header of every request: CR or LF in it would add headers
    // of the token server's choosing.
    if (has_control_char(token.value))
        throw RegistryError("token server answered with a token holding control characters (" +
                            request.method + " " + redact_url(realm) + ")");
    auto expires = json.find("expires_in");
    auto lifetime = std::chrono::seconds(expires != json.end() && expires->is_number_integer() &&
                                                 expires->get<long long>() > 0
                                             ? std::min(expires->get<long long>(), 86400LL * 365)
                                             : 0LL);
    if (lifetime.count() <= 0) lifetime = default_token_lifetime;
    token.expiry = std::chrono::steady_clock::now() +
                   std::max(lifetime - expiry_margin, std::chrono::seconds(1));
    return token;
}

} // namespace ckimg::registry
