// ocicrypt's PKCS7 key wrapper: a layer Debian 12's skopeo encrypted (tests/fixtures/
// skopeo-1.9-pkcs7) opened with its key, ckimg's envelopes in the bytes Go writes, round trips
// beside JWE, and malformed envelopes refused without a crash.
#include "crypto/der.hpp"
#include "crypto/keys.hpp"
#include "crypto/layer_cipher.hpp"
#include "crypto/layer_encryption.hpp"
#include "crypto/pkcs7.hpp"
#include "test_keys.hpp"
#include "test_support.hpp"

#include <ckimg/encryption.hpp>
#include <ckimg/error.hpp>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace ckimg;
using namespace ckimg::crypto;

namespace {

using namespace ckimg::test;

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(CKIMG_FIXTURES_DIR) + "/skopeo-1.9-pkcs7/" + name,
                     std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<PrivateKey> keys_of(Pkey key) {
    std::vector<PrivateKey> out;
    out.push_back(PrivateKey{std::move(key), "test.pem"});
    return out;
}

Pkey shared(const Pkey& key) {
    EVP_PKEY_up_ref(key.get());
    return Pkey(key.get());
}

struct Recipient {
    Pkey key = rsa_key();
    Certificate cert;
    Recipient(test::TempDir& dir, long serial, const std::string& name) {
        auto path = dir.path / (name + ".crt");
        write_file(path, pem_certificate(key.get(), serial, name), 0644);
        cert = load_recipient_certificate(path.string());
    }
};

} // namespace

TEST_CASE("a layer skopeo encrypted for a PKCS7 recipient opens with its key alone", "[crypto]") {
    Descriptor layer =
        descriptor_from_json(nlohmann::json::parse(fixture("encrypted-layer.json")), "fixture");
    Pkey key = parse_private_key(fixture("key.pem"), Secret(), "key.pem");

    UnwrappedLayer unwrapped = unwrap_layer(layer, keys_of(shared(key)), "layer 1");
    CHECK(unwrapped.plain_digest.str() ==
          "sha256:1d3b3feb960a6efca4095b116a718aaf12acf3d0d16d0405460f60d2d2b0cb75");
    StringSink plain;
    DecryptingSink decrypt(plain, unwrapped.secrets, "layer 1");
    decrypt.write(fixture("encrypted-layer.blob"));
    decrypt.finish(); // checks skopeo's HMAC
    CHECK(sha256_of(plain.bytes) == unwrapped.plain_digest);

    CHECK(summarize_encryption(layer, "layer 1").recipients ==
          std::vector<std::string>{
              "PKCS7 RSA issuer O=ckimg,CN=ckimg pkcs7 fixture serial 1234abcd"});
    CHECK_THROWS_WITH(unwrap_layer(layer, keys_of(rsa_key()), "layer 1"),
                      Catch::Contains("none of the decryption keys"));
    CHECK_THROWS_WITH(unwrap_layer(layer, keys_of(ec_key()), "layer 1"),
                      Catch::Contains("none of the decryption keys"));
}

TEST_CASE("ckimg's PKCS7 envelope has the shape Go's asn1 gives ocicrypt's", "[crypto]") {
    test::TempDir dir;
    Recipient alice(dir, 7, "alice");
    std::string der = pkcs7_encrypt("{\"symkey\":\"x\"}", {alice.cert.get()});

    // ContentInfo { envelopedData, [0] { EnvelopedData { 0, SET { RecipientInfo },
    //   EncryptedContentInfo { data, { aes128-GCM, 0x10 { SEQUENCE { [4] nonce, 16 } } },
    //   [0] { OCTET STRING } } } } }
    der::Reader top(der, "test", "envelope");
    auto info = top.open(top.expect(der::kSequence, "ContentInfo"));
    CHECK(top.empty());
    CHECK(info.expect(der::kOid, "type").content == "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03");
    auto wrapper = info.open(info.expect(der::kContext0Constructed, "content"));
    auto envelope = wrapper.open(wrapper.expect(der::kSequence, "EnvelopedData"));
    CHECK(envelope.expect(der::kInteger, "version").whole == std::string_view("\x02\x01\x00", 3));
    auto recipients = envelope.open(envelope.expect(der::kSet, "recipients"));
    auto recipient = recipients.open(recipients.expect(der::kSequence, "recipient"));
    CHECK(recipients.empty());
    recipient.expect(der::kInteger, "version");
    auto ias = recipient.open(recipient.expect(der::kSequence, "issuer and serial"));
    ias.expect(der::kSequence, "issuer");
    CHECK(ias.expect(der::kInteger, "serial").content == "\x07");
    auto kea = recipient.open(recipient.expect(der::kSequence, "key encryption"));
    CHECK(kea.expect(der::kOid, "rsaEncryption").content == "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01");
    CHECK(kea.empty()); // Go omits the NULL parameters
    CHECK(recipient.expect(der::kOctetString, "key").content.size() == 256);
    auto content = envelope.open(envelope.expect(der::kSequence, "content info"));
    content.expect(der::kOid, "data");
    auto alg = content.open(content.expect(der::kSequence, "algorithm"));
    CHECK(alg.expect(der::kOid, "aes128-GCM").content == "\x60\x86\x48\x01\x65\x03\x04\x01\x06");
    auto params = alg.open(alg.expect(0x10, "Go's primitive SEQUENCE"));
    auto gcm = params.open(params.expect(der::kSequence, "GCMParameters"));
    CHECK(gcm.expect(0x84, "nonce").content.size() == 12);
    CHECK(gcm.expect(der::kInteger, "ICV length").content == "\x10");
    auto sealed = content.open(content.expect(der::kContext0Constructed, "encrypted content"));
    CHECK(sealed.expect(der::kOctetString, "ciphertext").content.size() == 14 + 16);
    CHECK(envelope.empty());
}

TEST_CASE("PKCS7 round trips: each recipient, beside JWE recipients, and wrong keys", "[crypto]") {
    test::TempDir dir;
    Recipient alice(dir, 1, "alice");
    Recipient bob(dir, 0x8000, "bob"); // a serial whose DER needs a leading zero
    std::string der = pkcs7_encrypt("private options", {alice.cert.get(), bob.cert.get()});
    for (const Pkey* key : {&alice.key, &bob.key}) {
        auto opened = pkcs7_decrypt(der, key->get(), "layer 1");
        REQUIRE(opened);
        CHECK(opened->bytes() == "private options");
    }
    CHECK_FALSE(pkcs7_decrypt(der, rsa_key().get(), "layer 1"));
    CHECK_FALSE(pkcs7_decrypt(der, ec_key().get(), "layer 1"));
    CHECK(pkcs7_recipients(der, "layer 1") ==
          std::vector<std::string>{"PKCS7 RSA issuer CN=alice serial 01",
                                   "PKCS7 RSA issuer CN=bob serial 008000"});

    SECTION("a layer for a JWE key and a certificate: either opens it, inspect lists both") {
        Pkey ec = ec_key();
        LayerSecrets secrets{Secret(std::string(32, 'k')), std::string(16, 'n'),
                             std::string(32, 'h')};
        Digest plain = sha256_of("plain");
        Descriptor d;
        d.media_type = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
        d.annotations = encryption_annotations(secrets, plain, {{ec.get()}, {alice.cert.get()}});
        CHECK(d.annotations.count(kKeysJweAnnotation) == 1);
        CHECK(d.annotations.count(kKeysPkcs7Annotation) == 1);
        for (const Pkey* key : {&ec, &alice.key}) {
            auto unwrapped = unwrap_layer(d, keys_of(shared(*key)), "layer 1");
            CHECK(unwrapped.plain_digest == plain);
            CHECK(unwrapped.secrets.key.bytes() == secrets.key.bytes());
        }
        CHECK(summarize_encryption(d, "layer 1").recipients ==
              std::vector<std::string>{"ECDH-ES+A256KW P-256",
                                       "PKCS7 RSA issuer CN=alice serial 01"});
        CHECK_THROWS_WITH(unwrap_layer(d, keys_of(shared(bob.key)), "layer 1"),
                          Catch::Contains("none of the decryption keys"));
        d.annotations.erase(kKeysJweAnnotation);
        d.annotations.erase(kKeysPkcs7Annotation);
        CHECK_THROWS_WITH(unwrap_layer(d, keys_of(shared(alice.key)), "layer 1"),
                          Catch::Contains("lacks the annotation"));
    }
    SECTION("a tampered ciphertext or tag opens nothing") {
        for (std::size_t back : {1u, 17u}) {
            std::string bad = der;
            bad[bad.size() - back] = static_cast<char>(bad[bad.size() - back] ^ 1);
            CHECK_FALSE(pkcs7_decrypt(bad, alice.key.get(), "layer 1"));
        }
    }
}

TEST_CASE("malformed PKCS7 envelopes: a clear error naming the layer, never a crash", "[crypto]") {
    test::TempDir dir;
    Recipient alice(dir, 1, "alice");
    std::string der = pkcs7_encrypt("private options", {alice.cert.get()});
    // Every truncation: an InputError naming the layer (the outer length no longer fits).
    for (std::size_t size = 0; size < der.size(); ++size)
        CHECK_THROWS_WITH(pkcs7_decrypt(der.substr(0, size), alice.key.get(), "layer 9"),
                          Catch::Contains("layer 9: malformed PKCS7 envelope"));
    // Every single-byte change from the wrapped key on (key, algorithms, nonce, ciphertext,
    // tag, and every length there): refused or opens nothing, never a crash (ASan watches).
    // Before it only the versions and the recipient's name may change unnoticed: the key is
    // found by trying it, not by name.
    std::size_t key_at = der.find(std::string(1, '\x04') + "\x82\x01\x00");
    REQUIRE(key_at != std::string::npos);
    for (std::size_t at = key_at; at < der.size(); ++at) {
        std::string bad = der;
        bad[at] = static_cast<char>(bad[at] ^ 0x41);
        try {
            // Evaluated outside CHECK, which would swallow the exception itself.
            bool opened = pkcs7_decrypt(bad, alice.key.get(), "layer 9").has_value();
            CHECK_FALSE(opened);
        } catch (const InputError& e) {
            CHECK_THAT(e.what(), Catch::Contains("layer 9"));
        }
    }
    CHECK_THROWS_WITH(pkcs7_decrypt(std::string("\x30\x80", 2), alice.key.get(), "layer 9"),
                      Catch::Contains("indefinite length"));
}

TEST_CASE("pkcs7: recipients on the command line, and certificates among decryption keys",
          "[crypto]") {
    test::TempDir dir;
    EncryptionOptions options;
    options.add_recipient("pkcs7:a.crt");
    options.add_recipient("jwe:b.pem");
    CHECK(options.certificates == std::vector<std::string>{"a.crt"});
    CHECK(options.recipients == std::vector<std::string>{"b.pem"});
    CHECK(options.enabled());
    CHECK_THROWS_WITH(options.add_recipient("pgp:c.pem"), Catch::Contains("pkcs7:"));
    CHECK_THROWS_AS(options.add_recipient("pkcs7:"), UsageError);

    Pkey ec = ec_key();
    write_file(dir.path / "ec.crt", pem_certificate(ec.get(), 3, "ec"), 0644);
    CHECK_THROWS_WITH(load_recipient_certificate((dir.path / "ec.crt").string()),
                      Catch::Contains("not RSA"));
    write_file(dir.path / "key.pem", pem_private(ec.get(), false), 0600);
    CHECK_THROWS_WITH(load_recipient_certificate((dir.path / "key.pem").string()),
                      Catch::Contains("not an X.509 certificate"));
    CHECK(is_certificate_file((dir.path / "ec.crt").string()));
    // A bundle of a certificate and its key is a key (the key loader skips the certificate).
    std::string bundle = pem_certificate(ec.get(), 4, "ec") + pem_private(ec.get(), false);
    write_file(dir.path / "bundle.pem", bundle, 0600);
    CHECK_FALSE(is_certificate_file((dir.path / "bundle.pem").string()));
    CHECK(parse_private_key(bundle, Secret(), "bundle.pem") != nullptr);
    CHECK_FALSE(is_certificate_file((dir.path / "key.pem").string()));
    CHECK_FALSE(is_certificate_file((dir.path / "missing").string()));
}
