// Facts about a checkpoint that several formats publish: the org.criu.checkpoint.* annotations
// (checkpointctl lib/annotations.go), the image creation time and the platform.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/format.hpp>

#include <string>

namespace ckimg {

inline constexpr const char* kCrioCheckpointName = "io.kubernetes.cri-o.annotations.checkpoint.name";
inline constexpr const char* kImageCreated = "org.opencontainers.image.created";

// Every org.criu.checkpoint.* key the checkpoint can fill; empty values are left out.
Annotations criu_annotations(const CheckpointInfo& info);

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

} // namespace ckimg
