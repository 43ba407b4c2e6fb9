#include <ckimg/digest.hpp>
#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

using namespace ckimg;

TEST_CASE("sha256 of known inputs", "[digest]") {
    CHECK(sha256_of("").str() ==
          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_of("abc").hex() ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("incremental sha256 equals one-shot", "[digest]") {
    Sha256 hash;
    hash.update("a");
    hash.update("bc");
    CHECK(hash.finish() == sha256_of("abc"));
}

TEST_CASE("digest parsing", "[digest]") {
    auto hex = std::string(64, 'a');
    CHECK(Digest::parse("sha256:" + hex).hex() == hex);
    CHECK_THROWS_AS(Digest::parse("sha256:" + std::string(63, 'a')), InputError);
    CHECK_THROWS_AS(Digest::parse("sha256:" + std::string(64, 'A')), InputError);
    CHECK_THROWS_AS(Digest::parse("md5:" + hex), InputError);
    CHECK_THROWS_AS(Digest::parse(hex), InputError);
    CHECK_THROWS_WITH(Digest::parse("sha256:zz"), Catch::Contains("64 lowercase hex"));
}
