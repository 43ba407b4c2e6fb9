// Sigstore signing keys as cosign and containers/image store them: an ECDSA P-256 key; the
// private half PKCS#8 DER encrypted as go-securesystemslib's "encrypted" package does (scrypt
// N=32768 r=8 p=1 over the passphrase with a 32-byte salt, giving the key of a NaCl secretbox
// (XSalsa20-Poly1305) with a 24-byte nonce; the JSON {"kdf","cipher","ciphertext"}) in a PEM
// block "ENCRYPTED SIGSTORE PRIVATE KEY" (cosign 2's; cosign 1's "ENCRYPTED COSIGN PRIVATE KEY"
// is read too); the public half a PEM SubjectPublicKeyInfo.
#pragma once

#include "crypto/openssl_util.hpp"

#include <string>

namespace ckimg::crypto {

struct SigstoreKeyPair {
    std::string private_pem;
    std::string public_pem;
};

SigstoreKeyPair generate_sigstore_key(const Secret& passphrase);
// Reads "ENCRYPTED COSIGN PRIVATE KEY" or "ENCRYPTED SIGSTORE PRIVATE KEY"; InputError naming
// `name` on a wrong passphrase, unknown parameters or a key that is not ECDSA P-256.
Pkey load_sigstore_private_key(const std::string& pem, const Secret& passphrase,
                               const std::string& name);

// The encrypted container itself (exposed for known-answer tests).
std::string encrypt_with_passphrase(const Secret& plaintext, const Secret& passphrase,
                                    const std::string& salt, const std::string& nonce);
Secret decrypt_with_passphrase(const std::string& json, const Secret& passphrase,
                               const std::string& name);

} // namespace ckimg::crypto
