// Copying an image from any source to any sink: a layout, an OCI archive or a registry on either
// side, as `skopeo copy` does. push, pull and `ckimg copy` are this one function.
#pragma once

#include <ckimg/context.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/sink.hpp>
#include <ckimg/source.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ckimg {

struct CopyOptions {
    // Tags the root gets in the sink, in this order, once everything it reaches is stored.
    std::vector<std::string> tags;
    int jobs = 0; // blobs copied in parallel; 0: 2 to 4 (one per core)
    // The repository a bare tag is named in for `podman load` ("localhost:5000/team/counter"):
    // each tag's entry gets io.containerd.image.name = image_load_name(tag, repository), in a
    // sink that keeps annotations on its tags (a layout, an OCI archive). Empty: full names only.
    std::string load_name_repository;
    // For copy() by name (copy_image copies what its source shows): the source's encrypted
    // layers decrypted with these keys (decrypting_source), then layers encrypted for these
    // recipients (encrypting_source; both: the image re-encrypted for new recipients).
    DecryptionOptions decryption;
    EncryptionOptions encryption;
};

struct CopyResult {
    std::string source;      // "registry.example.com/team/app:v1", "oci:DIR:TAG"
    std::string destination; // the sink's name with the first tag
    Descriptor root;
    int manifests = 0;       // manifests and indexes stored
    int copied = 0;          // blobs written
    int present = 0;         // blobs the sink had already
    int mounted = 0;         // blobs the sink got without their bytes (cross-repository mount)
    std::uint64_t bytes = 0; // bytes of the blobs written
};
// --json of copy: pull's fields and mounted.
nlohmann::json to_json(const CopyResult& result);

// Reads and checks every manifest the source's root reaches first (a broken image writes
// nothing), then copies the blobs in parallel (each reused when the sink has or can mount it,
// else written from a stream that verifies size and digest), then the manifests, each after
// what it references, then the tags, then commits the sink. A failure stops the other transfers
// and throws; nothing is tagged then. The context's progress gets each blob's bytes; its cancel
// token stops every transfer (Cancelled).
CopyResult copy_image(ImageSource& source, ImageSink& sink, const CopyOptions& options,
                      const Context& context = {});
// The same, for a graph the caller read already (read_image_graph(source)): so that a broken
// source is refused before the sink is even opened (a registry sink probes the registry).
CopyResult copy_image(ImageSource& source, const ImageGraph& graph, ImageSink& sink,
                      const CopyOptions& options, const Context& context = {});

struct RegistryOptions;
// `ckimg copy`: opens `source` (as open_image_source does) and `destination` ("oci:DIR[:TAG]",
// created when missing and removed again when the copy fails; "oci-archive:FILE[:TAG]", written
// on success only; or a registry reference) and copies. The destination's tag, else the
// source's, else "latest" comes first (a registry reference without a tag: none), then
// options.tags. `registry` serves both sides.
CopyResult copy(const std::string& source, const std::string& destination,
                const RegistryOptions& registry, const CopyOptions& options,
                const Context& context = {});

} // namespace ckimg
