#include "registry/referrers.hpp"

#include <catch2/catch.hpp>

using ckimg::Digest;
using ckimg::registry::referrers_tag;

TEST_CASE("the referrers tag of a digest follows the distribution spec's schema", "[referrers]") {
    auto hex = std::string(64, 'a');
    CHECK(referrers_tag(Digest::parse("sha256:" + hex)) == "sha256-" + hex);
    // Tags allow 128 characters: a long algorithm is cut to 32 and a long encoding to 64.
    auto sha512 = std::string(128, 'b');
    CHECK(referrers_tag(Digest::parse("sha512:" + sha512)) == "sha512-" + std::string(64, 'b'));
}
