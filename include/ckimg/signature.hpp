// Sigstore signatures as containers/image (skopeo, Podman, CRI-O) and cosign write and verify
// them: an ECDSA P-256 key pair (the private key in cosign's encrypted format, PEM "ENCRYPTED
// SIGSTORE PRIVATE KEY"), a simple-signing payload naming a manifest digest and an image
// reference, and a base64 ASN.1 ECDSA signature over the payload's SHA-256.
#pragma once

#include <ckimg/digest.hpp>

#include <cstdint>
#include <string>

namespace ckimg {

struct SigstoreKeyPair {
    std::string private_pem; // encrypted with the passphrase (scrypt + NaCl secretbox)
    std::string public_pem;  // SubjectPublicKeyInfo
};

// A new key pair, as `skopeo generate-sigstore-key` and `cosign generate-key-pair` make.
SigstoreKeyPair generate_sigstore_key_pair(const std::string& passphrase);

// The payload bytes exactly as containers/image writes them (keys sorted, no spaces).
std::string sigstore_payload(const Digest& manifest, const std::string& docker_reference,
                             const std::string& creator, std::int64_t timestamp);

// base64 of the signature of `payload` by the encrypted private key `private_pem`; InputError
// naming `key_name` on a wrong passphrase or a key that is not one.
std::string sign_sigstore_payload(const std::string& private_pem, const std::string& passphrase,
                                  const std::string& key_name, const std::string& payload);

// True when `signature` (base64) is `public_pem`'s signature of `payload`.
bool verify_sigstore_payload(const std::string& public_pem, const std::string& payload,
                             const std::string& signature);

} // namespace ckimg
