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

#include <ckimg/registry.hpp>

namespace ckimg {

// "sha256-<hex>.sig": the tag holding `manifest`'s signatures in its repository.
std::string sigstore_signature_tag(const Digest& manifest);

// Signs `manifest` as `image` names it (registry/repository[:tag], what a policy's
// signedIdentity compares) with the cosign private key file `private_key` (passphrase: first
// line of `passphrase_file`), and puts the signature in the image's repository under
// sigstore_signature_tag(manifest): an OCI manifest with one simple-signing layer per
// signature, the signatures already there kept. When `manifest` is an index, each manifest it
// lists is signed too (containers/image checks the instance it copies as well as the index).
void sign_image(const Reference& image, const Digest& manifest, const std::string& private_key,
                const std::string& passphrase_file, const RegistryOptions& registry,
                const Context& context = {});

struct VerifyResult {
    std::string reference;
    Digest manifest;      // the digest verified (the root's)
    int signatures = 0;   // simple-signing layers found
    std::string identity; // docker-reference of the accepted signature
};

// Succeeds when `image`'s root manifest has a signature by `public_key` (PEM file) whose
// payload names that digest and the image's repository (and its tag when `image` has one).
// InputError otherwise ("no valid sigstore signature ...").
VerifyResult verify_image(const std::string& image, const std::string& public_key,
                          const RegistryOptions& registry, const Context& context = {});
// The same check for a root digest already fetched (`image` names the repository and tag).
VerifyResult verify_manifest_signature(const Reference& image, const Digest& manifest,
                                       const std::string& public_key,
                                       const RegistryOptions& registry,
                                       const Context& context = {});

class ImageSource;
// pull and export --verify-key: when `public_key` is set, `source` (opened from `name`) must be a
// registry image whose root, as fetched, verify_manifest_signature accepts; a local source is a
// UsageError. Called before anything is written.
void verify_source_signature(const std::string& name, ImageSource& source,
                             const std::string& public_key, const RegistryOptions& registry,
                             const Context& context = {});

} // namespace ckimg
