#include "formats/oci_checkpoint_config.hpp"
#include "crypto/layer_encryption.hpp"

#include <ckimg/error.hpp>

#include "formats/checkpoint_annotations.hpp"
#include "formats/entry_guard.hpp"
#include "formats/layer_reader.hpp"

#include <array>
#include <unordered_map>

namespace ckimg::oci_checkpoint {

namespace {

using nlohmann::json;

constexpr std::array<const char*, 4> kRoleNames = {"metadata", "criu", "rootfs-diff", "pages"};
constexpr std::array<const char*, 4> kTypeNames = {"file", "directory", "symlink", "hardlink"};
constexpr std::array<Engine, 3> kEngines = {Engine::crio, Engine::containerd, Engine::podman};

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The lower-case engine names of the image-spec discussion ("cri-o" in issue #962).
std::string engine_token(Engine engine) {
    switch (engine) {
    case Engine::crio:
        return "cri-o";
    case Engine::containerd:
        return "containerd";
    case Engine::podman:
        return "podman";
    }
    return "containerd";
}

std::string type_name(EntryType type) {
    return kTypeNames[static_cast<std::size_t>(type)];
}

// Go writes the zero time for "never": not a time worth recording.
bool is_time(const std::string& text) {
    return !text.empty() && !starts_with(text, "0001-01-01");
}

void put(json& object, const char* key, const std::string& value) {
    if (!value.empty()) object[key] = value;
}

std::string dump_text(const CheckpointInfo& info, const char* key) {
    const auto& dump = info.config_dump;
    if (!dump.is_object() || !dump.contains(key) || !dump[key].is_string()) return "";
    return dump[key].get<std::string>();
}

} // namespace

std::string role_name(Role role) {
    return kRoleNames[static_cast<std::size_t>(role)];
}

std::optional<Role> parse_role(const std::string& name) {
    for (std::size_t i = 0; i < kRoleNames.size(); ++i)
        if (name == kRoleNames[i]) return static_cast<Role>(i);
    return std::nullopt;
}

std::string layer_media_type(Role role, Compression compression) {
    return tar_media_type("application/vnd.oci.image.checkpoint." + role_name(role) + ".v1.tar",
                          compression);
}

Role role_of_path(const std::string& path) {
    for (const char* dir : {"checkpoint", "pre-checkpoint"}) {
        std::string prefix = std::string(dir) + "/";
        if (path != dir && !starts_with(path, prefix)) continue;
        auto name = path.substr(std::min(path.size(), prefix.size()));
        bool pages = (starts_with(name, "pages-") || starts_with(name, "amdgpu-pages-")) &&
                     ends_with(name, ".img") && name.find('/') == std::string::npos;
        return pages ? Role::pages : Role::criu;
    }
    if (path == "rootfs-diff.tar" || path == "deleted.files") return Role::rootfs_diff;
    return Role::metadata;
}

namespace {

json checkpoint_json(const CheckpointInfo& info) {
    json checkpoint = {{"checkpointer", "criu"}, {"engine", engine_token(info.engine)}};
    put(checkpoint, "runtime", info.runtime);
    if (is_time(info.checkpointed_time)) checkpoint["checkpointed"] = info.checkpointed_time;
    return checkpoint;
}

json container_json(const CheckpointInfo& info) {
    json container = {{"name", info.container_name}};
    put(container, "id", info.container_id);
    put(container, "engineName", dump_text(info, "name"));
    if (is_time(info.created_time)) container["created"] = info.created_time;
    json pod = json::object();
    put(pod, "name", info.pod_name);
    put(pod, "namespace", info.pod_namespace);
    put(pod, "uid", info.pod_uid);
    if (!pod.empty()) container["pod"] = pod;
    const auto& dump = info.config_dump;
    if (dump.contains("restored") && dump["restored"].is_boolean() &&
        dump["restored"].get<bool>()) {
        container["restored"] = true;
        if (is_time(dump_text(info, "restoredTime")))
            container["restoredTime"] = dump_text(info, "restoredTime");
    }
    return container;
}

json image_json(const CheckpointInfo& info) {
    json image = json::object();
    put(image, "name", info.rootfs_image_name);
    put(image, "id", info.rootfs_image_id);
    put(image, "rawName", info.raw_image_name);
    put(image, "reference", dump_text(info, "rootfsImage"));
    put(image, "digest", base_image_digest(info));
    return image;
}

// What the archive says of the checkpointing host. Kernel, cgroup, CRIU and distribution
// versions have fields in the schema but no source in today's archives.
json host_json(const CheckpointInfo& info) {
    json host = json::object();
    put(host, "architecture", info.host_arch);
    return host;
}

json entry_json(const EntryRecord& entry) {
    json record = {{"path", entry.path},
                   {"type", type_name(entry.type)},
                   {"mtime", entry.mtime},
                   {"layer", entry.layer}};
    if (entry.type == EntryType::file) record["size"] = entry.size;
    if (entry.type == EntryType::symlink || entry.type == EntryType::hardlink)
        record["linkTarget"] = entry.link_target;
    return record;
}

} // namespace

json make_config(const CheckpointInfo& info, const Platform& platform, const std::string& created,
                 const std::vector<LayerRecord>& layers, const std::vector<EntryRecord>& entries) {
    json platform_json = {{"os", platform.os}, {"architecture", platform.architecture}};
    put(platform_json, "variant", platform.variant);
    json layer_list = json::array();
    for (const auto& layer : layers)
        layer_list.push_back({{"role", role_name(layer.role)}, {"diffID", layer.diff_id.str()}});
    json entry_list = json::array();
    for (const auto& entry : entries)
        entry_list.push_back(entry_json(entry));
    return {{"specVersion", kSpecVersion},
            {"created", created},
            {"platform", platform_json},
            {"checkpoint", checkpoint_json(info)},
            {"container", container_json(info)},
            {"image", image_json(info)},
            {"host", host_json(info)},
            {"sizes",
             {{"total", info.total_size},
              {"criu", info.criu_size},
              {"pages", info.pages_size},
              {"rootfsDiff", info.rootfs_diff_size}}},
            {"layers", layer_list},
            {"entries", entry_list}};
}

Annotations make_annotations(const CheckpointInfo& info, const std::string& created) {
    const std::pair<const char*, std::string> fields[] = {
        {"created", is_time(info.checkpointed_time) ? info.checkpointed_time : ""},
        {"name", info.container_name},
        {"checkpointer", "criu"},
        {"engine", engine_token(info.engine)},
        {"runtime", info.runtime},
        {"base.name", info.rootfs_image_name},
        {"base.digest", base_image_digest(info)},
        {"pod.name", info.pod_name},
        {"pod.namespace", info.pod_namespace},
    };
    Annotations annotations{{kImageCreated, created}};
    for (const auto& [key, value] : fields)
        if (!value.empty()) annotations[kAnnotationPrefix + std::string(key)] = value;
    return annotations;
}

namespace {

[[noreturn]] void refuse(const std::string& where, const std::string& what) {
    throw InputError(where + ": " + what);
}

const json& member(const json& object, const char* key, const std::string& where) {
    if (!object.is_object() || !object.contains(key))
        refuse(where, std::string("no \"") + key + "\"");
    return object[key];
}

std::string text(const json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
    return object[key].get<std::string>();
}

std::uint64_t count(const json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number_unsigned()) return 0;
    return object[key].get<std::uint64_t>();
}

std::vector<LayerRecord> parse_layers(const json& config, const std::vector<Descriptor>& layers,
                                      const std::string& where) {
    const auto& list = member(config, "layers", where);
    if (!list.is_array() || list.size() != layers.size())
        refuse(where, "\"layers\" does not describe the manifest's " +
                          std::to_string(layers.size()) + " layers");
    std::vector<LayerRecord> records;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        auto role = parse_role(text(list[i], "role"));
        if (!role) refuse(where, "layer " + std::to_string(i) + " has no known role");
        // An encrypted layer (ocicrypt) is described by its plain media type.
        auto media_type = decrypted_media_type(layers[i].media_type);
        auto compression = tar_layer_compression(media_type, where);
        if (media_type != layer_media_type(*role, compression))
            refuse(where, "layer " + std::to_string(i) + " has media type \"" +
                              layers[i].media_type + "\", not that of a " + role_name(*role) +
                              " layer");
        records.push_back({*role, Digest::parse(text(list[i], "diffID"))});
    }
    return records;
}

EntryType parse_type(const json& entry, const std::string& where) {
    auto name = text(entry, "type");
    for (std::size_t i = 0; i < kTypeNames.size(); ++i)
        if (name == kTypeNames[i]) return static_cast<EntryType>(i);
    refuse(where, "entry type \"" + name + "\" is unknown");
}

// One entry, checked as an archive's entry would be: the reader writes these names.
EntryRecord parse_entry(const json& entry, std::size_t layer_count, EntryGuard& guard) {
    const auto& where = guard.where();
    EntryRecord record;
    record.path = text(entry, "path");
    record.type = parse_type(entry, where);
    const auto& mtime = member(entry, "mtime", where);
    const auto& layer = member(entry, "layer", where);
    if (!mtime.is_number_integer() || !layer.is_number_unsigned() ||
        layer.get<std::uint64_t>() >= layer_count)
        refuse(where, "entry \"" + record.path + "\" has a bad mtime or layer");
    record.mtime = mtime.get<std::int64_t>();
    record.layer = layer.get<std::size_t>();
    if (record.type == EntryType::file) {
        const auto& size = member(entry, "size", where);
        if (!size.is_number_unsigned())
            refuse(where, "entry \"" + record.path + "\" has a bad size");
        record.size = size.get<std::uint64_t>();
    }
    if (record.type == EntryType::symlink || record.type == EntryType::hardlink)
        record.link_target = text(entry, "linkTarget");
    std::string link = record.link_target;
    auto admitted = guard.admit(record.path, record.type, link);
    if (!admitted || *admitted != record.path || link != record.link_target)
        refuse(where, "entry \"" + record.path + "\" is not in normal form");
    return record;
}

// Holds the entries to the layer split of section 5: each in a layer of its component, one
// layer per component but one per pages image. Beyond consistency, this bounds what a reader
// holds open at once (four layer streams), whatever a hostile config says.
void check_split(const std::vector<EntryRecord>& entries, const std::vector<LayerRecord>& layers,
                 const std::string& where) {
    std::vector<std::size_t> count(layers.size(), 0);
    std::unordered_map<std::string, Role> roles;
    for (const auto& entry : entries) {
        Role role = entry.type == EntryType::hardlink ? roles.at(entry.link_target)
                                                      : role_of_path(entry.path);
        roles[entry.path] = role;
        if (layers[entry.layer].role != role)
            refuse(where, "entry \"" + entry.path + "\" belongs in a " + role_name(role) +
                              " layer, not in layer " + std::to_string(entry.layer));
        ++count[entry.layer];
    }
    std::array<int, 3> seen{};
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (count[i] == 0) refuse(where, "layer " + std::to_string(i) + " holds no listed entry");
        bool pages = layers[i].role == Role::pages;
        if ((pages && count[i] != 1) ||
            (!pages && ++seen[static_cast<std::size_t>(layers[i].role)] > 1))
            refuse(where, "layer " + std::to_string(i) + " breaks the split by component");
    }
}

std::vector<EntryRecord> parse_entries(const json& config, const std::vector<LayerRecord>& layers,
                                       const std::string& where) {
    const auto& list = member(config, "entries", where);
    if (!list.is_array() || list.empty()) refuse(where, "\"entries\" is not a list of entries");
    EntryGuard guard(where + " entries");
    std::vector<EntryRecord> records;
    for (const auto& entry : list)
        records.push_back(parse_entry(entry, layers.size(), guard));
    check_split(records, layers, where);
    return records;
}

CheckpointInfo parse_info(const json& config, std::size_t entry_count) {
    CheckpointInfo info;
    const json empty = json::object();
    auto part = [&](const char* key) -> const json& {
        return config.contains(key) && config[key].is_object() ? config[key] : empty;
    };
    const auto& checkpoint = part("checkpoint");
    const auto& container = part("container");
    const auto& image = part("image");
    const auto& sizes = part("sizes");
    for (Engine engine : kEngines)
        if (text(checkpoint, "engine") == engine_token(engine)) info.engine = engine;
    info.runtime = text(checkpoint, "runtime");
    info.checkpointed_time = text(checkpoint, "checkpointed");
    if (!info.checkpointed_time.empty()) info.checkpointed_source = "image config";
    info.container_name = text(container, "name");
    info.container_id = text(container, "id");
    info.created_time = text(container, "created");
    const auto& pod = container.contains("pod") ? container["pod"] : empty;
    info.pod_name = text(pod, "name");
    info.pod_namespace = text(pod, "namespace");
    info.pod_uid = text(pod, "uid");
    info.rootfs_image_name = text(image, "name");
    info.rootfs_image_id = text(image, "id");
    info.raw_image_name = text(image, "rawName");
    info.host_arch = text(part("host"), "architecture");
    info.total_size = count(sizes, "total");
    info.criu_size = count(sizes, "criu");
    info.pages_size = count(sizes, "pages");
    info.rootfs_diff_size = count(sizes, "rootfsDiff");
    info.entry_count = entry_count;
    return info;
}

} // namespace

ParsedConfig parse_config(const json& config, const std::vector<Descriptor>& layers,
                          const std::string& where) {
    if (!config.is_object()) refuse(where, "the checkpoint config is not a JSON object");
    auto version = text(config, "specVersion");
    if (!starts_with(version, "1."))
        refuse(where, "checkpoint spec version \"" + version + "\" is not supported (1.x is)");
    ParsedConfig parsed;
    parsed.layers = parse_layers(config, layers, where);
    parsed.entries = parse_entries(config, parsed.layers, where);
    parsed.info = parse_info(config, parsed.entries.size());
    return parsed;
}

} // namespace ckimg::oci_checkpoint
