// ocicrypt's layer metadata: the annotations org.opencontainers.image.enc.keys.jwe and
// org.opencontainers.image.enc.keys.pkcs7 (base64 of a JWE or a PKCS7 envelope over the private
// options, one per wrapper that has recipients; comma-separated when recipients were added) and
// org.opencontainers.image.enc.pubopts (base64 of the public options), and the "+encrypted"
// media types, as containers/ocicrypt's encryption.go and blockcipher package write them.
#pragma once

#include <ckimg/media_types.hpp>

#include "crypto/keys.hpp"
#include "crypto/layer_cipher.hpp"
#include "crypto/pkcs7.hpp"

#include <ckimg/descriptor.hpp>

#include <string>
#include <vector>

namespace ckimg::crypto {

inline constexpr const char* kKeysJweAnnotation = "org.opencontainers.image.enc.keys.jwe";
inline constexpr const char* kKeysPkcs7Annotation = "org.opencontainers.image.enc.keys.pkcs7";
inline constexpr const char* kPubOptsAnnotation = "org.opencontainers.image.enc.pubopts";
inline constexpr const char* kEncryptionAnnotationPrefix = "org.opencontainers.image.enc.";
// Bounds on what a manifest may make us parse (ocicrypt has none; a JWE for 64 RSA-4096
// recipients is about 60 KiB).
inline constexpr std::size_t kMaxKeysAnnotation = 1 << 20;
inline constexpr std::size_t kMaxPubOptsAnnotation = 64 * 1024;

// The "+encrypted" media types: <ckimg/media_types.hpp>.

// The JSON of ocicrypt's PrivateLayerBlockCipherOptions and PublicLayerBlockCipherOptions,
// fields in Go's order.
std::string private_options_json(const LayerSecrets& secrets, const Digest& plain_digest);
std::string public_options_json(const LayerSecrets& secrets);

// Who a layer is encrypted for: public keys (JWE) and certificates (PKCS7).
struct Recipients {
    std::vector<const EVP_PKEY*> jwe;
    std::vector<const X509*> pkcs7;
};

// The annotations to add to an encrypted layer's descriptor.
Annotations encryption_annotations(const LayerSecrets& secrets, const Digest& plain_digest,
                                   const Recipients& recipients);
// Drops every org.opencontainers.image.enc.* annotation (ocicrypt's FilterOutAnnotations).
Annotations without_encryption_annotations(const Annotations& annotations);

struct UnwrappedLayer {
    LayerSecrets secrets;
    Digest plain_digest; // of the unencrypted (compressed) blob
};

// Opens a layer's keys with the first private key that fits; InputError naming `layer` when the
// annotations are missing, malformed or too large, or when no key fits.
UnwrappedLayer unwrap_layer(const Descriptor& layer_descriptor, const std::vector<PrivateKey>& keys,
                            const std::string& layer);

// What inspect shows: the cipher and one line per recipient, read without any key.
struct EncryptionSummary {
    std::string cipher;
    std::vector<std::string> recipients;
};
EncryptionSummary summarize_encryption(const Descriptor& layer_descriptor,
                                       const std::string& layer);

} // namespace ckimg::crypto
