// Keys for the encryption tests: fresh RSA and EC keys and their PEM files.
#pragma once

#include "crypto/openssl_util.hpp"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ckimg::test {

using crypto::Pkey;

inline Pkey rsa_key() {
    return Pkey(EVP_RSA_gen(2048));
}
inline Pkey ec_key(const char* curve = "prime256v1") {
    return Pkey(EVP_EC_gen(curve));
}

// The text a memory BIO holds; frees the BIO.
inline std::string take_text(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
}

inline std::string pem_public(const EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    return take_text(bio);
}

// PKCS#8 (optionally encrypted with AES-256-CBC) or the traditional PKCS#1/SEC1 form.
inline std::string pem_private(const EVP_PKEY* key, bool traditional,
                               const std::string& passphrase = "") {
    BIO* bio = BIO_new(BIO_s_mem());
    const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
    auto* pass = reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase.data()));
    int pass_len = static_cast<int>(passphrase.size());
    if (traditional)
        PEM_write_bio_PrivateKey_traditional(bio, key, cipher, pass, pass_len, nullptr, nullptr);
    else
        PEM_write_bio_PKCS8PrivateKey(bio, key, cipher, reinterpret_cast<char*>(pass), pass_len,
                                      nullptr, nullptr);
    return take_text(bio);
}

// A self-signed X.509 certificate for `key`, PEM.
inline std::string pem_certificate(EVP_PKEY* key, long serial, const std::string& common_name) {
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    X509_free(cert);
    return take_text(bio);
}

inline void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
}

} // namespace ckimg::test
