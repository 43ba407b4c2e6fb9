// PKCS #7 EnvelopedData as ocicrypt's "pkcs7" key wrapper uses it (skopeo and buildah
// `--encryption-key pkcs7:CERT.pem`): the private layer options encrypted with AES-128-GCM under
// a random key, that key wrapped for each recipient's X.509 certificate with RSA PKCS #1 v1.5
// (rsaEncryption) and the recipient named by the certificate's issuer and serial number. The
// bytes are those Go's encoding/asn1 writes for ocicrypt's pkcs7 package: the GCM parameters
// {nonce [4], ICV length 16} inside a primitive-tagged SEQUENCE, and the ciphertext with its tag
// appended in a constructed [0] around an OCTET STRING, as github.com/fullsailor/pkcs7 (Debian
// 12's skopeo and buildah) writes it; smallstep/pkcs7 (newer ocicrypt) writes a primitive [0].
// Both read both, and so does ckimg.
#pragma once

#include "crypto/openssl_util.hpp"

#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ckimg::crypto {

struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
using Certificate = std::unique_ptr<X509, X509Free>;

// Reads an X.509 certificate (PEM or DER) with an RSA key: a PKCS7 recipient. InputError
// naming `path` otherwise (ocicrypt's PKCS7 wraps keys with RSA only).
Certificate load_recipient_certificate(const std::string& path);
// Is the file an X.509 certificate (PEM or DER)? ocicrypt accepts certificates among the
// decryption keys, so ckimg does too. False when it cannot be read (the key loader says why).
bool is_certificate_file(const std::string& path);

// Encrypts `plaintext` to every certificate, one EnvelopedData.
std::string pkcs7_encrypt(const std::string& plaintext, const std::vector<const X509*>& recipients);

// Decrypts with `key` (RSA; any other key opens nothing): every recipient is tried, as the
// GCM tag tells a wrong key apart, so no certificate is needed. nullopt when the key opens no
// recipient; InputError naming `where` when the structure is malformed or uses algorithms
// ocicrypt never writes.
std::optional<Secret> pkcs7_decrypt(const std::string& der, const EVP_PKEY* key,
                                    const std::string& where);

// One line per recipient, "PKCS7 RSA issuer <RFC 2253 name> serial <hex>", for inspect.
std::vector<std::string> pkcs7_recipients(const std::string& der, const std::string& where);

} // namespace ckimg::crypto
