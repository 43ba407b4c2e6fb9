// Reference parsing against the docker reference grammar (distribution/reference) and Docker
// Hub's normalisation.
#include <ckimg/error.hpp>
#include <ckimg/reference.hpp>

#include <catch2/catch.hpp>

#include <string>

using ckimg::Reference;

namespace {

const std::string digest_a = "sha256:" + std::string(64, 'a');

struct Valid {
    const char* text;
    const char* registry;
    const char* repository;
    const char* tag;
    std::string digest;
};

} // namespace

TEST_CASE("valid references parse and normalise as docker does", "[reference]") {
    const Valid cases[] = {
        {"ubuntu", "docker.io", "library/ubuntu", "latest", ""},
        {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", ""},
        {"docker://ubuntu", "docker.io", "library/ubuntu", "latest", ""},
        {"alice/app", "docker.io", "alice/app", "latest", ""},
        {"docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", ""},
        {"index.docker.io/library/ubuntu:1", "docker.io", "library/ubuntu", "1", ""},
        {"registry.example.com/team/counter-ckpt:v1", "registry.example.com", "team/counter-ckpt",
         "v1", ""},
        {"localhost/app", "localhost", "app", "latest", ""},
        {"localhost:5000/app:t", "localhost:5000", "app", "t", ""},
        {"127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", "latest", ""},
        {"[::1]:5000/app:v2", "[::1]:5000", "app", "v2", ""},
        {"[2001:db8::1]/app", "[2001:db8::1]", "app", "latest", ""},
        {"Example.COM/app", "Example.COM", "app", "latest", ""},
        {"host/a.b_c__d-e---f:T_a.g-1", "docker.io", "host/a.b_c__d-e---f", "T_a.g-1", ""},
        {"quay.io/app@sha256:"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "quay.io", "app", "", digest_a},
        {"quay.io/app:v1@sha256:"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "quay.io", "app", "v1", digest_a},
        {"localhost:5000", "docker.io", "library/localhost", "5000", ""},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto ref = Reference::parse(c.text);
        CHECK(ref.registry == c.registry);
        CHECK(ref.repository == c.repository);
        CHECK(ref.tag == c.tag);
        CHECK(ref.digest == c.digest);
    }
}

TEST_CASE("invalid references are refused with a reason", "[reference]") {
    const char* cases[] = {
        "",
        "docker://",
        "Ubuntu",               // uppercase repository (no slash: not a host)
        "example.com/Team/app", // uppercase path component
        "example.com/app:",     // empty tag
        "example.com/app:-x",   // tag must start with a word character
        "example.com/app:a/b",  // '/' after ':' makes "a/b" part of the path: invalid component
        "example.com/-app",
        "example.com/app-",
        "example.com/a..b",
        "example.com/a___b",
        "example.com//app",
        "example.com/app@sha256:abc",
        "example.com/app@md5:"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "-bad.com/app",
        "bad-.com/app",
        "host:port/app",
        ":tag",
        "app@",
    };
    for (const char* text : cases) {
        INFO(text);
        CHECK_THROWS_AS(Reference::parse(text), ckimg::UsageError);
    }
}

TEST_CASE("tags are limited to 128 characters, names to 255", "[reference]") {
    CHECK_NOTHROW(Reference::parse("example.com/app:" + std::string(128, 't')));
    CHECK_THROWS_AS(Reference::parse("example.com/app:" + std::string(129, 't')),
                    ckimg::UsageError);
    CHECK_THROWS_AS(Reference::parse("example.com/" + std::string(250, 'a')), ckimg::UsageError);
}

TEST_CASE("uppercase repository errors say so", "[reference]") {
    try {
        Reference::parse("example.com/Team/app");
        FAIL("accepted");
    } catch (const ckimg::UsageError& error) {
        CHECK(std::string(error.what()).find("lowercase") != std::string::npos);
    }
}

TEST_CASE("api_host, str and tag_or_digest", "[reference]") {
    auto hub = Reference::parse("ubuntu");
    CHECK(hub.api_host() == "registry-1.docker.io");
    CHECK(hub.str() == "docker.io/library/ubuntu:latest");
    CHECK(hub.tag_or_digest() == "latest");
    auto local = Reference::parse("localhost:5000/app@" + digest_a);
    CHECK(local.api_host() == "localhost:5000");
    CHECK(local.str() == "localhost:5000/app@" + digest_a);
    CHECK(local.tag_or_digest() == digest_a);
}
