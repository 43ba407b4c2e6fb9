// Sigstore keys and payloads: cosign's encrypted key container, the simple-signing payload as
// containers/image writes it, and signatures that verify only for their key and payload.
#include "crypto/keys.hpp"
#include "sign/sigstore_key.hpp"
#include "sign/sigstore_signature.hpp"

#include <ckimg/error.hpp>
#include <ckimg/signature.hpp>

#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ckimg;
using namespace ckimg::crypto;

TEST_CASE("cosign's encrypted private key: scrypt + secretbox, as go-securesystemslib",
          "[sigstore]") {
    Secret pass("s3cret");
    auto pair = generate_sigstore_key(pass);
    CHECK(pair.private_pem.rfind("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", 0) == 0);
    CHECK(pair.public_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    Pkey key = load_sigstore_private_key(pair.private_pem, pass, "k");
    CHECK(EVP_PKEY_is_a(key.get(), "EC"));
    CHECK_THROWS_WITH(load_sigstore_private_key(pair.private_pem, Secret("wrong"), "k.private"),
                      Catch::Contains("k.private") && Catch::Contains("wrong passphrase"));

    std::string json =
        encrypt_with_passphrase(Secret("hello"), pass, std::string(32, 's'), std::string(24, 'n'));
    auto j = nlohmann::json::parse(json);
    CHECK(j["kdf"]["name"] == "scrypt");
    CHECK(j["kdf"]["params"] == nlohmann::json({{"N", 32768}, {"r", 8}, {"p", 1}}));
    CHECK(j["cipher"]["name"] == "nacl/secretbox");
    CHECK(json.rfind(R"({"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":")", 0) ==
          0);
    CHECK(decrypt_with_passphrase(json, pass, "k").bytes() == "hello");
    // secretbox's output is the 16-byte Poly1305 tag, then the ciphertext.
    std::string box;
    REQUIRE(base64_decode(j["ciphertext"].get<std::string>(), box));
    CHECK(box.size() == 16 + 5);
    box[20] = static_cast<char>(box[20] ^ 1);
    j["ciphertext"] = base64_encode(box);
    CHECK_THROWS_AS(decrypt_with_passphrase(j.dump(), pass, "k"), InputError);
    j["kdf"]["params"]["N"] = 1024;
    CHECK_THROWS_WITH(decrypt_with_passphrase(j.dump(), pass, "k"),
                      Catch::Contains("scrypt parameters"));
}

TEST_CASE("simple-signing payloads and their signatures", "[sigstore]") {
    Digest digest = sha256_of("manifest");
    std::string payload =
        crypto::sigstore_payload(digest, "localhost:5000/team/app:v1", "ckimg 1", 42);
    CHECK(
        payload ==
        R"({"critical":{"identity":{"docker-reference":"localhost:5000/team/app:v1"},"image":{"docker-manifest-digest":")" +
            digest.str() +
            R"("},"type":"cosign container image signature"},"optional":{"creator":"ckimg 1","timestamp":42}})");
    auto claims = parse_sigstore_payload(payload, "sig");
    CHECK(claims.manifest == digest);
    CHECK(claims.docker_reference == "localhost:5000/team/app:v1");
    CHECK(sigstore_attachment_tag(digest) == "sha256-" + digest.hex() + ".sig");

    Pkey key(EVP_EC_gen("prime256v1"));
    Pkey other(EVP_EC_gen("prime256v1"));
    std::string signature = sign_payload(key.get(), payload);
    CHECK(verify_payload(key.get(), payload, signature));
    CHECK_FALSE(verify_payload(other.get(), payload, signature));
    std::string altered = payload;
    altered[payload.find("v1")] = 'x';
    CHECK_FALSE(verify_payload(key.get(), altered, signature));
    CHECK_FALSE(verify_payload(key.get(), payload, "!!"));

    auto j = nlohmann::json::parse(payload);
    j["critical"]["extra"] = 1;
    CHECK_THROWS_WITH(parse_sigstore_payload(j.dump(), "sig"),
                      Catch::Contains("unexpected fields"));
    j = nlohmann::json::parse(payload);
    j["critical"]["type"] = "atomic container signature";
    CHECK_THROWS_AS(parse_sigstore_payload(j.dump(), "sig"), InputError);
}

TEST_CASE("a generated sigstore key signs and its public key verifies", "[sigstore]") {
    Secret pass("pass phrase");
    auto pair = generate_sigstore_key(pass);
    Pkey key = load_sigstore_private_key(pair.private_pem, pass, "k.private");
    Pkey pub = parse_public_key(pair.public_pem, "k.pub");
    auto other = generate_sigstore_key(pass);
    Pkey other_pub = parse_public_key(other.public_pem, "o.pub");

    std::string payload =
        crypto::sigstore_payload(sha256_of("m"), "localhost:5000/app:v1", "ckimg 1", 1700000000);
    std::string signature = sign_payload(key.get(), payload);
    CHECK(verify_payload(pub.get(), payload, signature));
    CHECK_FALSE(verify_payload(other_pub.get(), payload, signature));
    // A signature changed in one byte of its DER is refused.
    std::string der;
    REQUIRE(base64_decode(signature, der));
    der[der.size() - 1] = static_cast<char>(der[der.size() - 1] ^ 1);
    CHECK_FALSE(verify_payload(pub.get(), payload, base64_encode(der)));
    // An ECDSA signature is randomised, both verify.
    CHECK(verify_payload(pub.get(), payload, sign_payload(key.get(), payload)));

    // cosign 1's PEM type is read as well; another PEM type is refused.
    std::string old = pair.private_pem;
    for (std::size_t at; (at = old.find("SIGSTORE")) != std::string::npos;)
        old.replace(at, 8, "COSIGN");
    CHECK(load_sigstore_private_key(old, pass, "old") != nullptr);
    CHECK_THROWS_WITH(load_sigstore_private_key(pair.public_pem, pass, "k.pub"),
                      Catch::Contains("not an encrypted sigstore private key"));
    CHECK_THROWS_WITH(load_sigstore_private_key(pair.private_pem, Secret("pass phrasE"), "k"),
                      Catch::Contains("wrong passphrase"));
}

TEST_CASE("the public sigstore API signs and verifies payloads", "[sigstore]") {
    auto pair = ckimg::generate_sigstore_key_pair("pw");
    auto other = ckimg::generate_sigstore_key_pair("pw");
    Digest digest = sha256_of("manifest");
    std::string payload = ckimg::sigstore_payload(digest, "example.com/a/b:v1", "ckimg 1", 7);
    CHECK(
        payload ==
        R"({"critical":{"identity":{"docker-reference":"example.com/a/b:v1"},"image":{"docker-manifest-digest":")" +
            digest.str() +
            R"("},"type":"cosign container image signature"},"optional":{"creator":"ckimg 1","timestamp":7}})");
    std::string signature = sign_sigstore_payload(pair.private_pem, "pw", "k", payload);
    CHECK(verify_sigstore_payload(pair.public_pem, payload, signature));
    CHECK_FALSE(verify_sigstore_payload(other.public_pem, payload, signature));
    CHECK_FALSE(verify_sigstore_payload(pair.public_pem, payload + " ", signature));
    CHECK_THROWS_AS(sign_sigstore_payload(pair.private_pem, "pW", "k", payload), InputError);
}
