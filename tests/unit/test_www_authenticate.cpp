#include "registry/www_authenticate.hpp"

#include <catch2/catch.hpp>

using ckimg::registry::parse_www_authenticate;

TEST_CASE("Bearer challenge with quoted parameters", "[www-authenticate]") {
    auto challenges = parse_www_authenticate(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
        R"(scope="repository:library/ubuntu:pull,push")");
    REQUIRE(challenges.size() == 1);
    CHECK(challenges[0].scheme == "bearer");
    CHECK(challenges[0].param("realm") == "https://auth.docker.io/token");
    CHECK(challenges[0].param("service") == "registry.docker.io");
    CHECK(challenges[0].param("scope") == "repository:library/ubuntu:pull,push");
}

TEST_CASE("Basic challenge, case-insensitive scheme and names", "[www-authenticate]") {
    auto challenges = parse_www_authenticate(R"(BASIC Realm="Registry Realm")");
    REQUIRE(challenges.size() == 1);
    CHECK(challenges[0].scheme == "basic");
    CHECK(challenges[0].param("realm") == "Registry Realm");
}

TEST_CASE("several challenges in one header, spaces around separators", "[www-authenticate]") {
    auto challenges = parse_www_authenticate(
        R"(Basic realm="a, b" , Bearer realm = "https://r/token" , service=reg, error="invalid_token")");
    REQUIRE(challenges.size() == 2);
    CHECK(challenges[0].scheme == "basic");
    CHECK(challenges[0].param("realm") == "a, b");
    CHECK(challenges[1].scheme == "bearer");
    CHECK(challenges[1].param("realm") == "https://r/token");
    CHECK(challenges[1].param("service") == "reg");
    CHECK(challenges[1].param("error") == "invalid_token");
}

TEST_CASE("escaped quotes and token68", "[www-authenticate]") {
    auto challenges = parse_www_authenticate(R"(Bearer realm="x\"y\\z")");
    REQUIRE(challenges.size() == 1);
    CHECK(challenges[0].param("realm") == R"(x"y\z)");
    auto bare = parse_www_authenticate("Negotiate");
    REQUIRE(bare.size() == 1);
    CHECK(bare[0].scheme == "negotiate");
    CHECK(bare[0].params.empty());
}

TEST_CASE("malformed headers do not throw", "[www-authenticate]") {
    CHECK(parse_www_authenticate("").empty());
    CHECK(parse_www_authenticate(" , ,").empty());
    CHECK_NOTHROW(parse_www_authenticate(R"(Bearer realm="unterminated)"));
    CHECK_NOTHROW(parse_www_authenticate("Bearer ===,,\"\"realm"));
    auto unterminated = parse_www_authenticate(R"(Bearer realm="unterminated)");
    REQUIRE(unterminated.size() == 1);
    CHECK(unterminated[0].param("realm") == "unterminated");
}
