// Copying an image from any source (a registry, usually) into an OCI image layout.
#pragma once

#include <ckimg/descriptor.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include <atomic>
#include <cstdint>
#include <string>

namespace ckimg {

struct PullOptions {
    RegistryOptions registry; // registry.jobs: blobs copied in parallel (0: 2 to 4)
    // --decryption-key: store the image decrypted (empty: as it is, encrypted or not).
    DecryptionOptions decryption;
    // --verify-key: refuse a registry image without a valid sigstore signature by this public
    // key (PEM) on its root, before anything is written.
    std::string verify_key;
};

struct PullResult {
    std::string source;      // "registry.example.com/team/app:v1"
    std::string destination; // "oci:DIR:TAG"
    Descriptor root;
    int manifests = 0;       // manifests and indexes stored
    int copied = 0;          // blobs copied
    int present = 0;         // blobs the layout had already
    std::uint64_t bytes = 0; // bytes of the blobs copied
};
// --json of pull: source, destination, digest, mediaType, size, manifests, copied, present,
// bytes.
nlohmann::json to_json(const PullResult& result);

// Copies everything the source's root reaches (every manifest of an index, configs, layers)
// into the OCI layout at `dir`, created when missing, then tags the root `tag` (with
// io.containerd.image.name: `tag` when it is a full name, else a registry source's
// HOST/REPO:tag, as image_load_name gives it). Every byte is
// verified against its digest while it streams; blobs are written under temporary names and
// renamed once verified; manifests go in after the blobs they reference and the tag last. On
// failure nothing is half-written: a layout this call created is removed, an existing one
// keeps its tags (and gains no partial blob). Throws InputError, RegistryError, IoError.
PullResult pull_image(ImageSource& source, const std::string& dir, const std::string& tag,
                      const PullOptions& options, const Context& context = {});

// Opens `source` ("[docker://]HOST/REPO[:TAG][@DIGEST]", or "oci:"/"oci-archive:") and pulls it
// into `destination` ("oci:DIR[:REF]"; without a tag, the reference's tag or "latest").
PullResult pull(const std::string& source, const std::string& destination,
                const PullOptions& options, const Context& context = {});

} // namespace ckimg
