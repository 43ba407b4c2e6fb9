// What a hostile registry's answers must not achieve (docs/reliability.md, "Hostile registries"):
// the pieces that can be checked without a server. The end-to-end forms are rows of
// tests/hostile/expected.tsv.
#include "core/checked_math.hpp"
#include "registry/http_client.hpp"
#include "registry/registry_client.hpp"
#include "registry/registry_error.hpp"
#include "registry/retry.hpp"
#include "registry/token_auth.hpp"

#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <memory>

using namespace ckimg::registry;
using Catch::Matchers::Contains;

namespace {

std::shared_ptr<const HttpSettings> settings() {
    auto http = std::make_shared<HttpSettings>();
    http->tls = std::make_shared<TlsPolicy>(ckimg::RegistryOptions{}, "127.0.0.1:1");
    return http;
}

HttpResponse challenge(const std::string& realm) {
    HttpResponse response;
    response.status = 401;
    response.headers.emplace_back("www-authenticate", "Bearer realm=\"" + realm + "\",service=x");
    return response;
}

} // namespace

TEST_CASE("no header holding a control character is sent", "[hostile]") {
    HttpClient http(settings());
    using namespace std::string_literals;
    // Port 1 on loopback: were the check not first, the request would be attempted and fail
    // with a transport error instead.
    for (const auto& header :
         {"Authorization: Bearer abc\r\nX-Injected: 1"s, "Authorization: Bearer a\nb"s,
          "Authorization: Bearer a\0b"s, "Authorization: Bearer a\x01"s, "X: a\x7f"s}) {
        HttpRequest request;
        request.url = "http://127.0.0.1:1/v2/";
        request.headers.push_back(header);
        INFO(header);
        CHECK_THROWS_WITH(http.send(request), Contains("holding control characters"));
    }
}

TEST_CASE("a plain-HTTP realm of a TLS registry is refused, saying how to allow it", "[hostile]") {
    // The realm refuses before any request: plain HTTP to a host that is not loopback.
    Authenticator auth(Credentials{"user", "pw", ""}, {"repository:a:pull"}, false);
    CHECK(auth.on_unauthorized(challenge("http://token.example/token")));
    HttpClient http(settings());
    CHECK_THROWS_WITH(auth.header(http, "https://registry.example/v2/"),
                      Contains("refusing to send credentials over plain HTTP to token.example") &&
                          Contains("use https, or --insecure for a loopback host"));
}

TEST_CASE("a plain-HTTP realm is refused even with --insecure unless it is loopback", "[hostile]") {
    Authenticator auth(Credentials{"user", "pw", ""}, {"repository:a:pull"}, true);
    CHECK(auth.on_unauthorized(challenge("http://token.example/token")));
    HttpClient http(settings());
    CHECK_THROWS_WITH(auth.header(http, "https://registry.example/v2/"),
                      Contains("plain HTTP carries credentials to a loopback host only"));
}

TEST_CASE("a redirect from TLS to plain HTTP is refused unless --insecure", "[hostile]") {
    ckimg::RegistryOptions options;
    auto target = ckimg::Reference::parse("registry.example/team/app:v1");
    RegistrySession session(target, options);
    session.set_base_url("https://registry.example");
    RegistryClient client(session);
    const std::string from = "https://registry.example/v2/team/app/blobs/sha256:0";
    for (const char* location : {"http://cdn.example/blob", "http://registry.example/v2/x",
                                 "HTTP://cdn.example:443/b", "http:/cdn.example/b"}) {
        INFO(location);
        CHECK_THROWS_WITH(client.follow_location(from, location),
                          Contains("to plain HTTP") && Contains("--insecure allows it"));
    }
    CHECK(client.follow_location(from, "https://cdn.example/blob") == "https://cdn.example/blob");
    CHECK(client.follow_location(from, "/v2/x") == "https://registry.example/v2/x");
    options.insecure = true;
    RegistrySession insecure(target, options);
    insecure.set_base_url("https://registry.example");
    RegistryClient lenient(insecure);
    CHECK(lenient.follow_location(from, "http://cdn.example/blob") == "http://cdn.example/blob");
}

TEST_CASE("a refusal by a storage host names that host, not the registry", "[hostile]") {
    ckimg::RegistryOptions options;
    options.creds = "user:pw";
    RegistrySession session(ckimg::Reference::parse("registry.example/team/app:v1"), options);
    session.set_base_url("https://registry.example");
    RegistryClient client(session);
    HttpResponse response;
    response.status = 401;
    response.url = "https://storage.example/signed/blob?sig=secret";
    auto error = client.failure(response, "GET", "https://registry.example/v2/team/app/blobs/x");
    CHECK_THAT(error.what(), Contains("answered by storage.example:443") &&
                                 Contains("ckimg sends it no credentials") &&
                                 !Contains("refused the credentials") && !Contains("secret"));
    response.url = "https://registry.example/v2/team/app/blobs/x";
    CHECK_THAT(client.failure(response, "GET", response.url).what(),
               Contains("the registry refused the credentials"));
}

TEST_CASE("Retry-After beyond --timeout fails at once, saying what was asked", "[hostile]") {
    RetryPolicy policy;
    policy.max_wait = std::chrono::seconds(5);
    for (const char* asked :
         {"3600", "6", "999999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"}) {
        Backoff backoff(policy);
        HttpResponse response;
        response.status = 503;
        response.url = "https://registry.example/v2/";
        response.headers.emplace_back("retry-after", asked);
        INFO(asked);
        CHECK_THROWS_WITH(backoff.wait(&response),
                          Contains("HTTP 503: the registry asks to retry after") &&
                              Contains("more than --timeout allows (5 s)"));
    }
    Backoff backoff(policy);
    HttpResponse now;
    now.status = 503;
    now.headers.emplace_back("retry-after", "0");
    CHECK_NOTHROW(backoff.wait(&now));
}

TEST_CASE("network values in messages are quoted and cut to a line", "[hostile]") {
    CHECK(quote_network("sha256:abc") == "\"sha256:abc\"");
    auto quoted = quote_network(std::string(60000, '0'));
    CHECK(quoted.size() < 140);
    CHECK_THAT(quoted, Contains("(60000 bytes)"));
}

TEST_CASE("sizes from the network add up checked", "[hostile]") {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    CHECK_FALSE(ckimg::checked_add<std::int64_t>(max, max));
    CHECK_FALSE(ckimg::checked_add<std::int64_t>(max, 1));
    CHECK(ckimg::checked_add<std::int64_t>(max - 1, 1) == max);
    CHECK_FALSE(ckimg::checked_mul<std::uint64_t>(std::uint64_t{1} << 63, 2));
    CHECK(ckimg::saturating_add<std::uint64_t>(~std::uint64_t{0}, 5) == ~std::uint64_t{0});
    CHECK(ckimg::saturating_mul<std::uint64_t>(3, 4) == 12);
}
