// The oci-checkpoint format's names and its config document (spec/checkpoint-image.md): the
// media types, the annotation keys, and the typed JSON config that records the checkpoint's
// facts, its layers and its entries in archive order.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/compression.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/image.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ckimg::oci_checkpoint {

inline constexpr const char* kSpecVersion = "1.0.0-draft.1";
inline constexpr const char* kArtifactType = "application/vnd.oci.image.checkpoint.v1";
inline constexpr const char* kConfigMediaType =
    "application/vnd.oci.image.checkpoint.config.v1+json";
inline constexpr const char* kAnnotationPrefix = "org.opencontainers.image.checkpoint.";

// The components an archive is split into, one media type each; in manifest order.
enum class Role { metadata, criu, rootfs_diff, pages };

std::string role_name(Role role); // "metadata", "criu", "rootfs-diff", "pages"
std::optional<Role> parse_role(const std::string& name);
// "application/vnd.oci.image.checkpoint.<role>.v1.tar" plus "+gzip" / "+zstd".
std::string layer_media_type(Role role, Compression compression);

// Which component an archive entry belongs to (hard links go with their target instead).
Role role_of_path(const std::string& path);

// One archive entry as the config records it: what the layer tars do not keep (the archive's
// order, the modification time) and what the reader checks the layers against.
struct EntryRecord {
    std::string path;
    EntryType type = EntryType::file;
    std::int64_t mtime = 0;
    std::uint64_t size = 0;  // files
    std::string link_target; // links
    std::size_t layer = 0;   // index into the manifest's layers
};

struct LayerRecord {
    Role role = Role::metadata;
    Digest diff_id;
};

// What a reader needs from the config.
struct ParsedConfig {
    std::vector<LayerRecord> layers;
    std::vector<EntryRecord> entries;
    CheckpointInfo info; // the facts, without config_dump/spec_dump
};

nlohmann::json make_config(const CheckpointInfo& info, const Platform& platform,
                           const std::string& created, const std::vector<LayerRecord>& layers,
                           const std::vector<EntryRecord>& entries);
Annotations make_annotations(const CheckpointInfo& info, const std::string& created);

// Validates the config against the manifest's layers (count, roles and media types, entry
// paths and links as an archive's, every layer used); throws InputError naming `where`.
ParsedConfig parse_config(const nlohmann::json& config, const std::vector<Descriptor>& layers,
                          const std::string& where);

} // namespace ckimg::oci_checkpoint
