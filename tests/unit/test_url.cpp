// Where credentials may go (docs/reliability.md, "Credentials stay with their host"): the forms on
// which URL parsers are known to disagree (RFC 3986 vs WHATWG: curl CVE-2018-1000007,
// containerd CVE-2020-15157), each resolved against a registry's URL as a Location would be. The
// decision is libcurl's own parse: a form is either refused, or ckimg's origin for it is the one
// libcurl connects to, as libcurl reads CURLOPT_URL.
#include "registry/url.hpp"

#include <ckimg/error.hpp>

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <cctype>
#include <memory>

using namespace ckimg::registry;

namespace {

const std::string registry = "https://registry.example:5000/v2/team/app/blobs/uploads/1?s=2";

// "scheme://host:port" as libcurl itself reads the URL for a request.
std::string libcurl_origin(const std::string& text) {
    std::unique_ptr<CURLU, void (*)(CURLU*)> url(curl_url(), curl_url_cleanup);
    REQUIRE(curl_url_set(url.get(), CURLUPART_URL, text.c_str(),
                         CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK);
    auto get = [&](CURLUPart part, unsigned flags = 0) {
        char* value = nullptr;
        if (curl_url_get(url.get(), part, &value, flags) != CURLUE_OK) return std::string();
        std::string out(value);
        curl_free(value);
        return out;
    };
    std::string host = get(CURLUPART_HOST);
    for (auto& c : host)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto zone = get(CURLUPART_ZONEID);
    if (!zone.empty()) host.insert(host.size() - 1, "%25" + zone);
    return get(CURLUPART_SCHEME) + "://" + host + ":" + get(CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

// The Location resolved against the registry: its origin, checked against libcurl's reading.
std::string scope_of(const std::string& location, const std::string& base = registry) {
    auto resolved = resolve_url(base, location);
    auto origin = Url::parse(resolved).origin();
    CHECK(origin == libcurl_origin(resolved));
    return origin;
}

bool credentials_go(const std::string& location, const std::string& base = registry) {
    return same_origin(resolve_url(base, location), base);
}

} // namespace

TEST_CASE("fragment and query delimiters inside the authority", "[url]") {
    // Read as RFC 3986 (and libcurl) does: the host ends at '#' or '?'.
    CHECK(scope_of("https://other#@registry.example:5000/v2/") == "https://other:443");
    CHECK(scope_of("https://other?@registry.example:5000/v2/") == "https://other:443");
    CHECK(scope_of("https://other:5000#@registry.example:5000/") == "https://other:5000");
    CHECK(scope_of("https://other/#@registry.example:5000/") == "https://other:443");
    CHECK_FALSE(credentials_go("https://other#@registry.example:5000/v2/"));
    CHECK_FALSE(credentials_go("https://other?@registry.example:5000/v2/"));
    CHECK_FALSE(credentials_go("//other#@registry.example:5000/v2/"));
}

TEST_CASE("user info, backslashes and two '@' are refused", "[url]") {
    for (const char* form :
         {"https://registry.example:5000@other/v2/", "https://registry.example:5000\\@other/v2/",
          "https://other\\@registry.example:5000/v2/", "https://a@b@registry.example:5000/v2/",
          "https://user:pw@registry.example:5000/v2/", "https://@registry.example:5000/v2/",
          "//registry.example:5000@other/v2/", "https://registry.example:5000%40other/v2/"}) {
        INFO(form);
        bool refused = false;
        try {
            auto origin = scope_of(form);
            CHECK(origin != "https://registry.example:5000"); // a %-encoded '@' is a host byte
        } catch (const ckimg::RegistryError&) {
            refused = true;
        }
        CHECK((refused || std::string(form).find("%40") != std::string::npos));
    }
}

TEST_CASE("percent-encoded, uppercase and numeric hosts are the hosts libcurl connects to",
          "[url]") {
    CHECK(scope_of("https://%72egistry.example:5000/v2/") == "https://registry.example:5000");
    CHECK(scope_of("HTTPS://REGISTRY.Example:5000/v2/") == "https://registry.example:5000");
    CHECK(credentials_go("HTTPS://REGISTRY.Example:5000/v2/"));
    CHECK(scope_of("https://registry%2eexample:5000/") == "https://registry.example:5000");
    CHECK(scope_of("http://127.1:5000/", "http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000");
    CHECK(scope_of("http://0x7f.1:5000/", "http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000");
    CHECK_THROWS_AS(Url::parse("https://registry.example%00.evil/"), ckimg::RegistryError);
    CHECK_THROWS_AS(Url::parse("https://regi stry.example/"), ckimg::RegistryError);
}

TEST_CASE("trailing dots, default ports written out, scheme changes", "[url]") {
    // Another name for libcurl: no credentials (the safe direction of a difference).
    CHECK(scope_of("https://registry.example.:5000/v2/") == "https://registry.example.:5000");
    CHECK_FALSE(credentials_go("https://registry.example.:5000/v2/"));
    CHECK(credentials_go("https://registry.example:05000/v2/"));
    CHECK(credentials_go("https://registry.example:443/v2/", "https://registry.example/v2/"));
    CHECK(credentials_go("https://registry.example/v2/", "https://registry.example:443/v2/"));
    CHECK_FALSE(credentials_go("http://registry.example:5000/v2/"));
    CHECK_FALSE(credentials_go("https://registry.example:5001/v2/"));
    CHECK_FALSE(credentials_go("http://registry.example:443/v2/", "https://registry.example/v2/"));
    CHECK_THROWS_AS(Url::parse("https://registry.example:65536/"), ckimg::RegistryError);
    CHECK_THROWS_AS(Url::parse("ftp://registry.example/"), ckimg::RegistryError);
    CHECK_THROWS_AS(Url::parse("registry.example/v2/"), ckimg::RegistryError);
}

TEST_CASE("IPv6 literals and zones", "[url]") {
    const std::string v6 = "https://[::1]:5000/v2/";
    CHECK(scope_of("https://[::1]:5000/x", v6) == "https://[::1]:5000");
    CHECK(credentials_go("/v2/x", v6));
    CHECK(scope_of("https://[fe80::1%25eth0]:5000/") == "https://[fe80::1%25eth0]:5000");
    CHECK_FALSE(credentials_go("https://[::1%25lo]:5000/x", v6));
    CHECK_FALSE(credentials_go("https://[::2]:5000/x", v6));
    CHECK_THROWS_AS(Url::parse("https://[::1/"), ckimg::RegistryError);
}

TEST_CASE("relative Locations", "[url]") {
    CHECK(credentials_go("/v2/team/app/blobs/uploads/2?state=x"));
    CHECK(credentials_go("2?state=x"));
    CHECK(credentials_go("../other"));
    CHECK_FALSE(credentials_go("//other/v2/"));
    CHECK_FALSE(credentials_go("//other:5000/v2/"));
    // One slash after the scheme: libcurl reads a host (a browser would read a path).
    CHECK(scope_of("https:/other/x") == "https://other:443");
    CHECK_FALSE(credentials_go("https:/other/x"));
    CHECK(resolve_url(registry, "/v2/x?y=1#frag") == "https://registry.example:5000/v2/x?y=1");
}

TEST_CASE("control characters never reach a request line", "[url]") {
    using namespace std::string_literals;
    for (const auto& form : {"/v2/x\r\nX-Injected: 1"s, "/v2/x\nX: 1"s, "/v2/\0x"s, "/v2/\tx"s,
                             "https://other\r\n.example/"s, "/v2/x\x7f"s}) {
        INFO(form);
        CHECK_THROWS_AS(resolve_url(registry, form), ckimg::RegistryError);
        CHECK_THROWS_AS(Url::parse("https://registry.example:5000" + form), ckimg::RegistryError);
    }
    CHECK(has_control_char(std::string("a\0b", 3)));
    CHECK(has_control_char("token\r\nX: y"));
    CHECK_FALSE(has_control_char("eyJhbGciOi.J9-_~+/="));
}

TEST_CASE("redacted URLs are libcurl's reading, without state, cut to a line", "[url]") {
    CHECK(redact_url("https://other#@registry.example:5000/v2/x") == "https://other/");
    CHECK(redact_url("https://registry.example/v2/x?_state=secret") ==
          "https://registry.example/v2/x");
    auto long_url = "https://registry.example/" + std::string(50000, 'a');
    CHECK(redact_url(long_url).size() < 210);
    CHECK(redact_url("not a url?token=1") == "not a url");
}
