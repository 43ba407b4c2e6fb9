// What a format produces: the description of one image (config, layers, annotations) that any
// sink can serialise. Formats describe; oci/image_writer serialises.
#pragma once

#include <ckimg/descriptor.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ckimg {

struct Layer {
    Descriptor descriptor; // the blob as stored (compressed)
    Digest diff_id;        // digest of the uncompressed tar
};

struct ImagePlan {
    std::string config_media_type;
    nlohmann::json config; // serialised as the config blob
    std::vector<Layer> layers;
    Annotations manifest_annotations;
    Annotations index_annotations;
    std::optional<std::string> artifact_type;
    std::optional<Descriptor> subject;
    Platform platform;
    // One-line notes for the user (the CLI prints each as "ckimg: warning: ..."), e.g. that the
    // format's runtime will not restore a checkpoint from this engine.
    std::vector<std::string> warnings;
};

// Serialised JSON documents are written in one canonical form (sorted keys, no whitespace)
// so that the same plan always gives the same digests.
std::string canonical_json(const nlohmann::json& json);

class ImageSink;

// What write_image stored: the config, the manifest and the index that wraps it.
struct WrittenImage {
    Descriptor config;
    Descriptor manifest;
    Descriptor index;
    std::string manifest_json;
};

// Serialises `plan` into `sink`: config, then manifest (with the manifest annotations), then an
// index holding the manifest (with the index annotations). Tagging is left to the caller.
WrittenImage write_image(ImageSink& sink, const ImagePlan& plan);

} // namespace ckimg
