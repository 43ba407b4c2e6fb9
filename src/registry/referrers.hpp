// The referrers of a manifest with a `subject` (distribution-spec 1.1): a registry of OCI 1.1
// lists them itself and says so with the `OCI-Subject` header when the manifest is stored; on
// any other registry the pusher keeps the "referrers tag schema" instead, an image index under
// the tag `<alg>-<encoded>` of the subject's digest listing every manifest that refers to it.
// That is how `ckimg build --format oci-checkpoint --base-image REF` checkpoints stay findable
// from their base image on registries without the referrers API (spec/checkpoint-image.md §8).
#pragma once

#include "registry/registry_client.hpp"

#include <ckimg/descriptor.hpp>

#include <string>

namespace ckimg::registry {

// "sha256:abc..." -> "sha256-abc...", the algorithm cut to 32 characters, the hex to 64.
std::string referrers_tag(const Digest& subject);

// Call after `stored` (the manifest `bytes`) was PUT by digest. Does nothing when the manifest
// has no subject or the registry acknowledged it; otherwise adds `stored` to the subject's
// referrers tag index (created when missing), unless it is listed already.
void keep_referrers_tag(RegistryClient& client, const std::string& bytes,
                        const ManifestPut& stored);

} // namespace ckimg::registry
