// Reads what push needs from an OCI image layout (image-spec image-layout.md): the root that a
// tag names in index.json, every manifest below it and every blob they reference. Private to
// the registry code so that push does not wait on the layout sink's own reader.
#pragma once

#include <ckimg/descriptor.hpp>

#include <string>
#include <vector>

namespace ckimg::registry {

struct LayoutManifest {
    Descriptor descriptor;
    std::string bytes;
};

struct LayoutImage {
    Descriptor root;
    // Child manifests first, the root last: the order they must reach a registry.
    std::vector<LayoutManifest> manifests;
    // Configs and layers, each once.
    std::vector<Descriptor> blobs;
    // org.opencontainers.image.base.name annotations: candidates for cross-repository mounts.
    std::vector<std::string> base_names;
};

// With an empty tag, the only entry of index.json. Throws InputError naming what is wrong.
LayoutImage read_layout_image(const std::string& dir, const std::string& tag);
std::string layout_blob_path(const std::string& dir, const Digest& digest);

} // namespace ckimg::registry
