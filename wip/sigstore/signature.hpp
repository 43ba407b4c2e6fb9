// Sigstore signatures as containers/image (skopeo, Podman, CRI-O) writes and verifies them:
// for each signed manifest, an OCI manifest tagged "sha256-<hex>.sig" in the same repository
// whose layers are simple-signing payloads ("cosign container image signature": the manifest's
// digest and the image's reference) with an ECDSA P-256 signature in the layer annotation
// dev.cosignproject.cosign/signature. Keys are cosign's (generate_sigstore_key).
#pragma once

#include <ckimg/digest.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>

#include <string>
#include <vector>

namespace ckimg {

struct SigstoreKeyFiles {
    std::string private_key; // written 0600
    std::string public_key;
};
// Makes an ECDSA P-256 key pair, the private key encrypted with `passphrase_file`'s first line
// (or a passphrase asked twice on the terminal when empty), as `skopeo generate-sigstore-key`.
// Refuses to overwrite either file.
void generate_sigstore_key(const SigstoreKeyFiles& files, const std::string& passphrase_file);

struct SignOptions {
    std::string private_key;     // cosign encrypted private key
    std::string passphrase_file; // empty: ask on the terminal
};

// Signs each of `manifests` (the pushed root and the manifests it lists) as `image` names it
// (its repository and tag: what a policy's signedIdentity compares), and pushes the signatures.
// An existing signature manifest for a digest is replaced.
void sign_pushed_image(const Reference& image, const std::vector<Digest>& manifests,
                       const SignOptions& options, const RegistryOptions& registry);

struct VerifyResult {
    std::string reference;
    Digest manifest;        // the digest verified (the root's)
    int signatures = 0;     // signature layers found
    std::string identity;   // the docker-reference of the accepted signature
};

// Verifies that `image`'s root manifest carries a signature by `public_key` whose payload names
// that digest and the image's repository (and its tag, when `image` has one). Throws InputError
// ("no signature ... by KEY") otherwise.
VerifyResult verify_image(const std::string& image, const std::string& public_key,
                          const RegistryOptions& registry);

} // namespace ckimg
