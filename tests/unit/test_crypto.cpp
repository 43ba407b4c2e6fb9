// The ocicrypt building blocks: known answers from the NIST and IETF documents, round trips, and
// every way a layer's encryption can be broken or lied about.
#include "crypto/jwe.hpp"
#include "crypto/keys.hpp"
#include "crypto/layer_cipher.hpp"
#include "crypto/layer_encryption.hpp"
#include "test_keys.hpp"
#include "test_support.hpp"

#include <ckimg/error.hpp>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace ckimg;
using namespace ckimg::crypto;

namespace {

using namespace ckimg::test;

std::string unhex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

struct EncryptedLayer {
    std::string plaintext;
    std::string ciphertext;
    Descriptor descriptor;
};

EncryptedLayer encrypt_layer(const std::string& plaintext, const Recipients& to) {
    test::StringSink out;
    EncryptingSink sink(out);
    sink.write(plaintext);
    sink.finish();
    EncryptedLayer layer{plaintext, out.bytes, {}};
    layer.descriptor.media_type =
        encrypted_media_type("application/vnd.oci.image.layer.v1.tar+gzip");
    layer.descriptor.annotations = encryption_annotations(sink.secrets(), sha256_of(plaintext), to);
    return layer;
}

std::vector<PrivateKey> keys_of(Pkey key) {
    std::vector<PrivateKey> out;
    out.push_back(PrivateKey{std::move(key), "test.pem"});
    return out;
}

std::string decrypt_layer(const EncryptedLayer& layer, const UnwrappedLayer& keys) {
    test::StringSink out;
    DecryptingSink sink(out, keys.secrets, "layer 1");
    sink.write(layer.ciphertext);
    sink.finish();
    return out.bytes;
}

} // namespace

TEST_CASE("AES-256-CTR-HMAC-SHA256 matches NIST SP 800-38A F.5.5 and an independent HMAC",
          "[crypto]") {
    std::string key = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    std::string nonce = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    std::string plain = unhex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc119"
        "1a0a52eff69f2445df4f9b17ad2b417be66c3710");
    test::StringSink out;
    EncryptingSink sink(out, Secret(key), nonce);
    // Odd write sizes: the counter must carry across writes.
    sink.write(plain.substr(0, 7));
    sink.write(plain.substr(7, 30));
    sink.write(plain.substr(37));
    sink.finish();
    CHECK(hex(out.bytes) ==
          "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce8701"
          "7ba2d84988ddfc9c58db67aada613c2dd08457941a6");
    CHECK(hex(sink.secrets().hmac) ==
          "c24f1318ee1ab5f6e6468f7bc85f05eafcc5abeb16d46b2955f7c22e32a73161");
    CHECK(out.finished == 1);
}

TEST_CASE("decryption checks the HMAC before finishing the destination", "[crypto]") {
    std::string plain(200000, 'x');
    test::StringSink enc;
    EncryptingSink encrypt(enc);
    encrypt.write(plain);
    encrypt.finish();
    LayerSecrets secrets = encrypt.secrets();

    SECTION("intact") {
        test::StringSink out;
        DecryptingSink decrypt(out, secrets, "layer 1");
        decrypt.write(enc.bytes);
        decrypt.finish();
        CHECK(out.bytes == plain);
        CHECK(out.finished == 1);
    }
    SECTION("a flipped ciphertext bit") {
        enc.bytes[123456] = static_cast<char>(enc.bytes[123456] ^ 1);
        test::StringSink out;
        DecryptingSink decrypt(out, secrets, "layer 1");
        decrypt.write(enc.bytes);
        CHECK_THROWS_WITH(decrypt.finish(), Catch::Contains("layer 1") && Catch::Contains("HMAC"));
        CHECK(out.finished == 0);
    }
    SECTION("a truncated ciphertext") {
        test::StringSink out;
        DecryptingSink decrypt(out, secrets, "layer 1");
        decrypt.write(enc.bytes.substr(0, enc.bytes.size() - 1));
        CHECK_THROWS_AS(decrypt.finish(), InputError);
        CHECK(out.finished == 0);
    }
    SECTION("a tampered MAC") {
        secrets.hmac[0] = static_cast<char>(secrets.hmac[0] ^ 0x80);
        test::StringSink out;
        DecryptingSink decrypt(out, secrets, "layer 1");
        decrypt.write(enc.bytes);
        CHECK_THROWS_AS(decrypt.finish(), InputError);
        CHECK(out.finished == 0);
    }
}

TEST_CASE("AES key wrap matches RFC 3394 4.6", "[crypto]") {
    std::string kek = unhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    std::string key = unhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    std::string wrapped = aes_key_wrap(kek, key);
    CHECK(hex(wrapped) == "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b"
                          "9b7a02dd21");
    CHECK(aes_key_unwrap(kek, wrapped) == key);
    wrapped[3] = static_cast<char>(wrapped[3] ^ 1);
    CHECK_FALSE(aes_key_unwrap(kek, wrapped).has_value());
}

TEST_CASE("Concat KDF matches RFC 7518 appendix C", "[crypto]") {
    const unsigned char z[] = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
                               131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
                               106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
    std::string derived = concat_kdf_sha256(std::string(reinterpret_cast<const char*>(z), sizeof z),
                                            "A128GCM", "Alice", "Bob", 16);
    CHECK(base64url_encode(derived) == "VqqN6vgjbSBcIijNcacQGg");
}

TEST_CASE("base64 as Go's StdEncoding and JOSE's base64url", "[crypto]") {
    std::string out;
    CHECK(base64_encode("ab") == "YWI=");
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK(base64_decode("YWI=", out));
    CHECK(out == "ab");
    CHECK_FALSE(base64_decode("YWI", out));
    CHECK_FALSE(base64_decode("Y*I=", out));
    CHECK_FALSE(base64url_decode("-_8=", out));
}

TEST_CASE("JWE: the form go-jose writes, opened by each recipient only", "[crypto]") {
    Pkey rsa = rsa_key();
    Pkey ec = ec_key();
    Pkey ec384 = ec_key("secp384r1");
    Pkey stranger = ec_key();
    const std::string message = R"({"symkey":"x"})";

    SECTION("one RSA recipient: flattened, RSA-OAEP and A256GCM in the protected header") {
        std::string jwe = jwe_encrypt(message, {rsa.get()});
        auto j = nlohmann::json::parse(jwe);
        CHECK_FALSE(j.contains("recipients"));
        std::string header;
        REQUIRE(base64url_decode(j["protected"].get<std::string>(), header));
        CHECK(header == R"({"alg":"RSA-OAEP","enc":"A256GCM"})");
        CHECK(jwe_decrypt(jwe, rsa.get(), "t")->bytes() == message);
        CHECK_FALSE(jwe_decrypt(jwe, stranger.get(), "t").has_value());
        CHECK_FALSE(jwe_decrypt(jwe, rsa_key().get(), "t").has_value());
    }
    SECTION("one EC recipient: ECDH-ES+A256KW with the ephemeral key in the protected header") {
        std::string jwe = jwe_encrypt(message, {ec.get()});
        std::string header;
        REQUIRE(
            base64url_decode(nlohmann::json::parse(jwe)["protected"].get<std::string>(), header));
        CHECK(
            header.rfind(
                R"({"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"kty":"EC","crv":"P-256","x":")",
                0) == 0);
        CHECK(jwe_decrypt(jwe, ec.get(), "t")->bytes() == message);
        CHECK_FALSE(jwe_decrypt(jwe, stranger.get(), "t").has_value());
        CHECK(jwe_recipients(jwe, "t") == std::vector<std::string>{"ECDH-ES+A256KW P-256"});
    }
    SECTION("several recipients: general serialization, each opens it") {
        std::string jwe = jwe_encrypt(message, {rsa.get(), ec.get(), ec384.get()});
        CHECK(nlohmann::json::parse(jwe)["recipients"].size() == 3);
        CHECK(jwe_decrypt(jwe, rsa.get(), "t")->bytes() == message);
        CHECK(jwe_decrypt(jwe, ec.get(), "t")->bytes() == message);
        CHECK(jwe_decrypt(jwe, ec384.get(), "t")->bytes() == message);
        CHECK_FALSE(jwe_decrypt(jwe, stranger.get(), "t").has_value());
        CHECK(jwe_recipients(jwe, "t").size() == 3);
    }
    SECTION("a changed protected header or tag opens for nobody") {
        auto j = nlohmann::json::parse(jwe_encrypt(message, {ec.get()}));
        auto tag = j["tag"].get<std::string>();
        tag[0] = tag[0] == 'A' ? 'B' : 'A';
        j["tag"] = tag;
        CHECK_FALSE(jwe_decrypt(j.dump(), ec.get(), "t").has_value());
    }
    SECTION("malformed objects are one clear error") {
        CHECK_THROWS_WITH(jwe_decrypt("[]", ec.get(), "layer 2"), Catch::Contains("layer 2"));
        CHECK_THROWS_AS(jwe_decrypt(R"({"protected":"!!"})", ec.get(), "t"), InputError);
        auto j = nlohmann::json::parse(jwe_encrypt(message, {rsa.get()}));
        j["protected"] = base64url_encode(R"({"alg":"dir","enc":"A256GCM"})");
        CHECK_THROWS_WITH(jwe_decrypt(j.dump(), rsa.get(), "t"), Catch::Contains("dir"));
    }
}

TEST_CASE("ocicrypt annotations: options JSON in Go's field order", "[crypto]") {
    LayerSecrets secrets{Secret(std::string(32, 'k')), std::string(16, 'n'), std::string(32, 'h')};
    Digest digest = sha256_of("x");
    CHECK(private_options_json(secrets, digest) ==
          R"({"symkey":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=","digest":")" + digest.str() +
              R"(","cipheroptions":{"nonce":"bm5ubm5ubm5ubm5ubm5ubg=="}})");
    CHECK(
        public_options_json(secrets) ==
        R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":"aGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg=","cipheroptions":{}})");
    CHECK(encrypted_media_type("application/vnd.oci.image.layer.v1.tar+zstd") ==
          "application/vnd.oci.image.layer.v1.tar+zstd+encrypted");
    CHECK(decrypted_media_type("application/vnd.oci.image.layer.v1.tar+encrypted") ==
          "application/vnd.oci.image.layer.v1.tar");
    Annotations a{{kKeysJweAnnotation, "x"}, {kPubOptsAnnotation, "y"}, {"other", "z"}};
    CHECK(without_encryption_annotations(a) == Annotations{{"other", "z"}});
}

TEST_CASE("an encrypted layer round trip, and every broken layer", "[crypto]") {
    Pkey rsa = rsa_key();
    Pkey ec = ec_key();
    EncryptedLayer layer = encrypt_layer(std::string(100000, 'p'), {{rsa.get(), ec.get()}, {}});
    CHECK(layer.ciphertext.size() == layer.plaintext.size());
    CHECK(layer.ciphertext != layer.plaintext);

    SECTION("either recipient decrypts it to the same bytes and digest") {
        for (EVP_PKEY* key : {rsa.get(), ec.get()}) {
            EVP_PKEY_up_ref(key);
            auto keys = keys_of(Pkey(key));
            UnwrappedLayer unwrapped = unwrap_layer(layer.descriptor, keys, "layer 1");
            CHECK(unwrapped.plain_digest == sha256_of(layer.plaintext));
            CHECK(decrypt_layer(layer, unwrapped) == layer.plaintext);
        }
        CHECK(summarize_encryption(layer.descriptor, "layer 1").recipients ==
              std::vector<std::string>{"RSA-OAEP", "ECDH-ES+A256KW P-256"});
    }
    SECTION("a wrong key") {
        CHECK_THROWS_WITH(unwrap_layer(layer.descriptor, keys_of(ec_key()), "layer 1"),
                          Catch::Contains("layer 1") &&
                              Catch::Contains("none of the decryption keys"));
    }
    SECTION("no key") {
        CHECK_THROWS_WITH(unwrap_layer(layer.descriptor, {}, "layer 1"),
                          Catch::Contains("--decryption-key"));
    }
    SECTION("a missing annotation") {
        layer.descriptor.annotations.erase(kPubOptsAnnotation);
        CHECK_THROWS_WITH(unwrap_layer(layer.descriptor, keys_of(ec_key()), "layer 3"),
                          Catch::Contains("layer 3") && Catch::Contains("pubopts"));
    }
    SECTION("a huge keys annotation") {
        layer.descriptor.annotations[kKeysJweAnnotation] = std::string(kMaxKeysAnnotation + 1, 'A');
        CHECK_THROWS_WITH(unwrap_layer(layer.descriptor, keys_of(ec_key()), "layer 1"),
                          Catch::Contains("over the limit"));
    }
    SECTION("malformed base64 and JSON") {
        layer.descriptor.annotations[kKeysJweAnnotation] = "%%%";
        CHECK_THROWS_WITH(unwrap_layer(layer.descriptor, keys_of(ec_key()), "layer 1"),
                          Catch::Contains("not base64"));
        layer.descriptor.annotations[kKeysJweAnnotation] = base64_encode("{not json");
        CHECK_THROWS_AS(unwrap_layer(layer.descriptor, keys_of(ec_key()), "layer 1"), InputError);
    }
    SECTION("an unknown cipher") {
        layer.descriptor.annotations[kPubOptsAnnotation] =
            base64_encode(R"({"cipher":"ROT13","hmac":null,"cipheroptions":{}})");
        CHECK_THROWS_WITH(unwrap_layer(layer.descriptor, keys_of(ec_key()), "layer 1"),
                          Catch::Contains("unknown layer cipher \"ROT13\""));
    }
    SECTION("pubopts of another layer: the HMAC check fails") {
        EncryptedLayer other = encrypt_layer("other", {{ec.get()}, {}});
        layer.descriptor.annotations[kPubOptsAnnotation] =
            other.descriptor.annotations[kPubOptsAnnotation];
        EVP_PKEY_up_ref(ec.get());
        auto unwrapped = unwrap_layer(layer.descriptor, keys_of(Pkey(ec.get())), "layer 1");
        CHECK_THROWS_WITH(decrypt_layer(layer, unwrapped), Catch::Contains("HMAC"));
    }
}

TEST_CASE("private keys: PKCS#8, PKCS#1, SEC1, encrypted, and their passphrase sources",
          "[crypto]") {
    test::TempDir dir;
    Pkey rsa = rsa_key();
    Pkey ec = ec_key();
    std::vector<std::string> warnings;
    Warn warn = [&](const std::string& w) { warnings.push_back(w); };
    auto load = [&](const std::string& spec) {
        return load_private_key(PrivateKeySpec::parse(spec), warn);
    };

    write_file(dir.path / "pkcs8.pem", pem_private(rsa.get(), false), 0600);
    write_file(dir.path / "pkcs1.pem", pem_private(rsa.get(), true), 0600);
    write_file(dir.path / "sec1.pem", pem_private(ec.get(), true), 0600);
    write_file(dir.path / "enc.pem", pem_private(ec.get(), false, "s3cret"), 0600);
    write_file(dir.path / "pass", "s3cret\n", 0600);
    write_file(dir.path / "badpass", "nope\n", 0600);
    write_file(dir.path / "open.pem", pem_private(ec.get(), false), 0644);
    write_file(dir.path / "pub.pem", pem_public(ec.get()), 0644);

    CHECK(EVP_PKEY_eq(load((dir.path / "pkcs8.pem").string()).key.get(), rsa.get()) == 1);
    CHECK(EVP_PKEY_eq(load((dir.path / "pkcs1.pem").string()).key.get(), rsa.get()) == 1);
    CHECK(EVP_PKEY_eq(load((dir.path / "sec1.pem").string()).key.get(), ec.get()) == 1);
    std::string enc = (dir.path / "enc.pem").string();
    CHECK(EVP_PKEY_eq(load(enc + ":file=" + (dir.path / "pass").string()).key.get(), ec.get()) ==
          1);
    CHECK_THROWS_WITH(load(enc), Catch::Contains("encrypted") && Catch::Contains(":file="));
    CHECK_THROWS_WITH(load(enc + ":file=" + (dir.path / "badpass").string()),
                      Catch::Contains("wrong passphrase"));
    CHECK(warnings.empty());
    load((dir.path / "open.pem").string());
    REQUIRE(warnings.size() == 1);
    CHECK_THROWS_AS(load((dir.path / "pub.pem").string()), InputError);
    CHECK(EVP_PKEY_eq(load_public_key((dir.path / "pub.pem").string()).get(), ec.get()) == 1);
    CHECK_THROWS_AS(load_public_key((dir.path / "pkcs8.pem").string() + "x"), IoError);

    SECTION("a passphrase in clear on the command line is refused, and not echoed") {
        try {
            PrivateKeySpec::parse(enc + ":s3cret");
            FAIL("accepted");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
        }
    }
}
