#include "sign/sigstore_key.hpp"

#include "crypto/openssl_util.hpp"

#include <ckimg/error.hpp>

#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

namespace ckimg::crypto {

namespace {

constexpr const char* kCosignPem = "ENCRYPTED COSIGN PRIVATE KEY";
constexpr const char* kSigstorePem = "ENCRYPTED SIGSTORE PRIVATE KEY";
// go-securesystemslib writes "Standard" (N=2^16) since 2023 and reads these three; cosign
// before that wrote and read only 2^15, so that is what we write.
constexpr std::uint64_t kWriteN = 32768;

Secret scrypt_key(const Secret& passphrase, const std::string& salt, std::uint64_t n) {
    Secret key(std::string(32, '\0'));
    if (EVP_PBE_scrypt(passphrase.bytes().data(), passphrase.size(),
                       reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, 8, 1,
                       std::uint64_t{512} << 20,
                       reinterpret_cast<unsigned char*>(key.bytes().data()), key.size()) != 1)
        throw_openssl("scrypt");
    return key;
}

void need_sodium() {
    if (sodium_init() < 0) throw Error("libsodium failed to initialise");
}

std::string pem_block(const char* type, const std::string& der) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio ||
        PEM_write_bio(bio.get(), type, "", reinterpret_cast<const unsigned char*>(der.data()),
                      static_cast<long>(der.size())) <= 0)
        throw_openssl("PEM");
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string public_pem(const EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), const_cast<EVP_PKEY*>(key)) != 1)
        throw_openssl("public key PEM");
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

Secret pkcs8_der(const EVP_PKEY* key) {
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> info(
        EVP_PKEY2PKCS8(key), &PKCS8_PRIV_KEY_INFO_free);
    if (!info) throw_openssl("PKCS#8");
    unsigned char* der = nullptr;
    int size = i2d_PKCS8_PRIV_KEY_INFO(info.get(), &der);
    if (size <= 0) throw_openssl("PKCS#8");
    Secret out(std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(size)));
    OPENSSL_clear_free(der, static_cast<std::size_t>(size));
    return out;
}

std::string b64_field(const nlohmann::json& object, const char* name, const std::string& where) {
    std::string out;
    auto it = object.find(name);
    if (it == object.end() || !it->is_string() || !base64_decode(it->get<std::string>(), out))
        throw InputError(where + ": \"" + name + "\" is missing or not base64");
    return out;
}

} // namespace

std::string encrypt_with_passphrase(const Secret& plaintext, const Secret& passphrase,
                                    const std::string& salt, const std::string& nonce) {
    need_sodium();
    if (nonce.size() != crypto_secretbox_NONCEBYTES)
        throw Error("secretbox nonce must be 24 bytes");
    Secret key = scrypt_key(passphrase, salt, kWriteN);
    std::string box(plaintext.size() + crypto_secretbox_MACBYTES, '\0');
    crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()), plaintext.data(),
                          plaintext.size(), reinterpret_cast<const unsigned char*>(nonce.data()),
                          key.data());
    nlohmann::ordered_json j;
    j["kdf"] = {{"name", "scrypt"},
                {"params", {{"N", kWriteN}, {"r", 8}, {"p", 1}}},
                {"salt", base64_encode(salt)}};
    j["cipher"] = {{"name", "nacl/secretbox"}, {"nonce", base64_encode(nonce)}};
    j["ciphertext"] = base64_encode(box);
    return j.dump();
}

Secret decrypt_with_passphrase(const std::string& text, const Secret& passphrase,
                               const std::string& name) {
    need_sodium();
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("kdf") || !j["kdf"].is_object() || !j.contains("cipher") ||
        !j["cipher"].is_object())
        throw InputError(name + ": not an encrypted sigstore key");
    const auto& kdf = j["kdf"];
    const auto& cipher = j["cipher"];
    if (kdf.value("name", "") != "scrypt" || cipher.value("name", "") != "nacl/secretbox")
        throw InputError(name + ": unknown key encryption (want scrypt and nacl/secretbox)");
    auto params = kdf.value("params", nlohmann::json::object());
    std::uint64_t n = params.value("N", 0ull);
    if ((n != 32768 && n != 65536 && n != 131072) || params.value("r", 0) != 8 ||
        params.value("p", 0) != 1)
        throw InputError(name + ": unsupported scrypt parameters");
    std::string salt = b64_field(kdf, "salt", name);
    std::string nonce = b64_field(cipher, "nonce", name);
    std::string box = b64_field(j, "ciphertext", name);
    if (nonce.size() != crypto_secretbox_NONCEBYTES || box.size() < crypto_secretbox_MACBYTES)
        throw InputError(name + ": malformed encrypted key");
    Secret key = scrypt_key(passphrase, salt, n);
    Secret plain(std::string(box.size() - crypto_secretbox_MACBYTES, '\0'));
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.bytes().data()),
                                   reinterpret_cast<const unsigned char*>(box.data()), box.size(),
                                   reinterpret_cast<const unsigned char*>(nonce.data()),
                                   key.data()) != 0)
        throw InputError(name + ": wrong passphrase for the sigstore private key");
    return plain;
}

SigstoreKeyPair generate_sigstore_key(const Secret& passphrase) {
    Pkey key(EVP_EC_gen("prime256v1"));
    if (!key) throw_openssl("EC key generation");
    std::string json = encrypt_with_passphrase(pkcs8_der(key.get()), passphrase, random_bytes(32),
                                               random_bytes(24));
    return {pem_block(kSigstorePem, json), public_pem(key.get())};
}

Pkey load_sigstore_private_key(const std::string& pem, const Secret& passphrase,
                               const std::string& name) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    char* type = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long size = 0;
    if (!bio || PEM_read_bio(bio.get(), &type, &header, &data, &size) != 1) {
        ERR_clear_error();
        throw InputError(name + ": not a PEM file");
    }
    std::string block_type = type;
    std::string json(reinterpret_cast<char*>(data), static_cast<std::size_t>(size));
    OPENSSL_free(type);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (block_type != kCosignPem && block_type != kSigstorePem)
        throw InputError(name + ": PEM block \"" + block_type.substr(0, 40) +
                         "\" is not an encrypted sigstore private key");
    Secret der = decrypt_with_passphrase(json, passphrase, name);
    const auto* p = der.data();
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> info(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())),
        &PKCS8_PRIV_KEY_INFO_free);
    Pkey key(info ? EVP_PKCS82PKEY(info.get()) : nullptr);
    ERR_clear_error();
    if (!key || !EVP_PKEY_is_a(key.get(), "EC"))
        throw InputError(name + ": the decrypted key is not an ECDSA key");
    return key;
}

} // namespace ckimg::crypto
