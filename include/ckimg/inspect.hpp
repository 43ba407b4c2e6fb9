// `ckimg inspect`: what a checkpoint archive or a checkpoint image says about itself, without
// unpacking anything and, for an image, without reading its layers (memory pages stay where
// they are: only the manifest, the config and small metadata blobs are fetched).
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/context.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ckimg {

struct ImageFacts {
    std::string name;    // the source, e.g. "oci:./ckpt:latest"
    Descriptor root;     // what the tag names (an index or a manifest)
    Descriptor manifest; // the image manifest chosen
    Descriptor config;
    std::vector<Descriptor> layers;
    // With --decryption-key: `layers` as they decrypt, in the same order (a layer that is not
    // encrypted as it is); empty without keys.
    std::vector<Descriptor> decrypted_layers;
    std::optional<Platform> platform; // the config's, else the index entry's
    std::string created;              // the config's, "" when absent
    std::optional<std::string> artifact_type;
    Annotations annotations;       // the manifest's
    Annotations index_annotations; // those of the index(es) above it
    std::string format;            // the detected format's name, "" for none
};

struct InspectReport {
    std::string target;
    std::optional<ImageFacts> image;          // nullopt: the target is a checkpoint archive
    std::optional<CheckpointInfo> checkpoint; // nullopt: an image that is not a checkpoint
};

struct InspectOptions {
    RegistryOptions registry;
    std::optional<Platform> platform; // which manifest of an index; default: the host's
    // Keys for encrypted layers: every encrypted layer of the image must open with them (else
    // InputError naming it), the checkpoint facts are read from the decrypted image and
    // ImageFacts::decrypted_layers says what each layer decrypts to. Without keys nothing is
    // decrypted: the facts are those outside the encrypted layers.
    DecryptionOptions decryption;
};

// TARGET is a checkpoint archive (a path, "-" for standard input), "oci:DIR[:REF]",
// "oci-archive:FILE[:REF]" or a registry reference ([docker://]HOST/REPO[:TAG][@DIGEST]).
// An existing file is an archive; a name that looks like a file (a path, a .tar suffix) but
// does not exist is an error, not a registry reference.
InspectReport inspect(const std::string& target, const InspectOptions& options,
                      const Context& context = {});
InspectReport inspect_image(ImageSource& source, const std::optional<Platform>& platform);

// {"target", "type": "archive"|"image", "image": {...}|null, "checkpoint": {...}|null}. In an
// image's checkpoint, facts the format does not record (sizes, times) are null.
nlohmann::json to_json(const InspectReport& report);

// "gzip", "zstd", "none" for a layer media type (also custom "+gzip"/"+zstd"/".tar" types);
// nullopt when it does not say.
std::optional<std::string> layer_compression(const std::string& media_type);

} // namespace ckimg
