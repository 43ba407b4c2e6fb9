// Media types, and what each says about a layer: compression and encryption. The one place
// for these rules (writers, readers, inspect and the formats all ask here).
#pragma once

#include <ckimg/compression.hpp>

#include <optional>
#include <string>

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

namespace ckimg {

// The OCI layer media type for a tar with this compression.
std::string layer_media_type(Compression compression);
// A tar media type ("application/vnd.oci.image.checkpoint.memory.v1.tar") with the suffix of
// `compression` ("+gzip", "+zstd", none).
std::string tar_media_type(const std::string& tar_type, Compression compression);
// Which compression a layer media type implies, for the OCI and Docker layer types and any
// custom type ending in ".tar", ".tar+gzip" or ".tar+zstd", encrypted ("+encrypted") or not;
// nullopt for a media type that is not a tar layer.
std::optional<Compression> compression_of_media_type(const std::string& media_type);

// ocicrypt's "+encrypted" suffix: whether a type has it, the type with it, the type without it.
bool is_encrypted_media_type(const std::string& media_type);
std::string encrypted_media_type(const std::string& media_type);
std::string decrypted_media_type(const std::string& media_type);

} // namespace ckimg
