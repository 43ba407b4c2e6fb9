// Sigstore "simple signing" payloads as containers/image writes and checks them: the JSON
// {"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},
// "type":"cosign container image signature"},"optional":{...}}, signed with ECDSA P-256 over its
// SHA-256 (ASN.1 DER signature, standard base64 in the layer annotation
// dev.cosignproject.cosign/signature).
#pragma once

#include "crypto/openssl_util.hpp"

#include <ckimg/digest.hpp>

#include <cstdint>
#include <string>

namespace ckimg::crypto {

inline constexpr const char* kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr const char* kCosignSignatureAnnotation = "dev.cosignproject.cosign/signature";
inline constexpr const char* kCosignSignatureType = "cosign container image signature";
inline constexpr std::size_t kMaxSignaturePayload = 4 << 20; // containers/image's limit

std::string sigstore_payload(const Digest& manifest, const std::string& docker_reference,
                             const std::string& creator, std::int64_t timestamp);

struct SignedClaims {
    Digest manifest;
    std::string docker_reference;
};
// Parses a payload as strictly as containers/image does (the critical section has exactly its
// three fields); InputError naming `where` otherwise.
SignedClaims parse_sigstore_payload(const std::string& payload, const std::string& where);

// Base64 of the DER ECDSA (or RSA PKCS#1 v1.5) signature over SHA-256 of `payload`.
std::string sign_payload(const EVP_PKEY* key, const std::string& payload);
bool verify_payload(const EVP_PKEY* key, const std::string& payload,
                    const std::string& base64_signature);

// "sha256-<hex>.sig": the tag of the signatures of `manifest` in its repository.
std::string sigstore_attachment_tag(const Digest& manifest);

} // namespace ckimg::crypto
