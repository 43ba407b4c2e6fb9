#pragma once

namespace ckimg::media_type {

inline constexpr const char* oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* oci_empty = "application/vnd.oci.empty.v1+json";
inline constexpr const char* docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";

} // namespace ckimg::media_type
