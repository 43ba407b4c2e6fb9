// Facts about a checkpoint that several formats publish: the org.criu.checkpoint.* annotations
// (checkpointctl lib/annotations.go), the image creation time and the platform.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/format.hpp>
#include <ckimg/source.hpp>

#include <string>

namespace ckimg {

inline constexpr const char* kCrioCheckpointName =
    "io.kubernetes.cri-o.annotations.checkpoint.name";
inline constexpr const char* kImageCreated = "org.opencontainers.image.created";

// Every org.criu.checkpoint.* key the checkpoint can fill; empty values are left out.
Annotations criu_annotations(const CheckpointInfo& info);

// The annotations an image states: its index's, overridden by its manifest's.
Annotations image_annotations(const ResolvedImage& image);

// The facts org.criu.checkpoint.* keys state (the inverse of criu_annotations); the engine is
// `fallback` when engine.name is absent or unknown.
CheckpointInfo info_from_criu_annotations(const Annotations& annotations, Engine fallback);

// Whether `manifest` is an image manifest (its config an image config, not an artifact's)
// whose annotations hold `key`: how the single-layer formats (crio, podman) are recognised.
bool image_with_annotation(const nlohmann::json& manifest, const char* key);

// The value of `key`, or "" when absent.
std::string annotation(const Annotations& annotations, const std::string& key);

// The digest an image reference pinned by digest ("repo@sha256:...") names, or "".
std::string pinned_digest(const std::string& reference);
// The base image digest the archive records (config.dump's pinned image reference), or "".
std::string base_image_digest(const CheckpointInfo& info);

// Sets the plan's subject to the base image (--base-image), reduced to media type, digest and
// size, so that the registry's referrers API lists the checkpoint under its image; warns when
// the archive records another base image.
void link_base_image(ImagePlan& plan, const CheckpointInfo& info, const FormatOptions& options);

// --created, else the checkpoint time, else the container's creation time, else the epoch.
std::string image_created_time(const CheckpointInfo& info, const FormatOptions& options);

// --platform, else the architecture recorded in the archive, else the build host.
Platform image_platform(const CheckpointInfo& info, const FormatOptions& options);

// An OCI image config for `layers` (diff IDs, one history entry, labels).
nlohmann::json image_config(const Platform& platform, const std::string& created,
                            const std::vector<Layer>& layers, const Annotations& labels,
                            const std::string& created_by);

// Copies every entry of the archive, in archive order, into one layer.
Layer copy_archive_into_layer(CheckpointArchive& archive, LayerFactory& layers);

// The shape both runtime formats share (the buildah recipe's): the archive's entries in one
// layer and an OCI config; the format adds its annotations to `plan`.
struct SingleLayerImage {
    ImagePlan plan;
    std::string created; // RFC 3339, as in the config
};
SingleLayerImage single_layer_image(CheckpointArchive& archive, LayerFactory& layers,
                                    const FormatOptions& options, const std::string& format);

} // namespace ckimg
