#include "registry/layout_reader.hpp"

#include "registry/registry_client.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "core/json_limits.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

namespace ckimg::registry {

namespace {

constexpr std::size_t max_manifest_size = 4 << 20;
constexpr int max_index_depth = 4;
constexpr const char* ref_name = "org.opencontainers.image.ref.name";
constexpr const char* base_name = "org.opencontainers.image.base.name";

std::string read_small_file(const std::string& path, std::size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(errno_message("cannot read " + path));
    std::string bytes;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (bytes.size() > limit)
            throw InputError(path + " is larger than " + std::to_string(limit) + " bytes");
    }
    return bytes;
}

nlohmann::json parse_json(const std::string& bytes, const std::string& where) {
    auto json = parse_untrusted_json(bytes, where); // bounded nesting, one-line errors
    if (!json.is_object()) throw InputError(where + " is not a JSON object");
    return json;
}

Descriptor pick_root(const nlohmann::json& index, const std::string& tag, const std::string& dir) {
    auto manifests = index.find("manifests");
    if (manifests == index.end() || !manifests->is_array())
        throw InputError(dir + "/index.json has no \"manifests\" array");
    std::vector<Descriptor> entries;
    for (const auto& entry : *manifests)
        entries.push_back(descriptor_from_json(entry, dir + "/index.json"));
    if (tag.empty()) {
        if (entries.size() != 1)
            throw InputError(dir + " holds " + std::to_string(entries.size()) +
                             " images: name one with :TAG");
        return entries.front();
    }
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Descriptor& d) {
        auto name = d.annotations.find(ref_name);
        return name != d.annotations.end() && name->second == tag;
    });
    if (it == entries.end()) throw InputError(dir + " has no image tagged \"" + tag + "\"");
    return *it;
}

class Walker {
public:
    Walker(const std::string& dir, LayoutImage& image) : dir_(dir), image_(image) {}

    void visit(const Descriptor& descriptor, int depth) {
        if (depth > max_index_depth) throw InputError(dir_ + ": indexes nested too deeply");
        if (!is_manifest_media_type(descriptor.media_type))
            throw InputError(dir_ + ": manifest " + descriptor.digest.str() +
                             " has the media type \"" + descriptor.media_type +
                             "\", not a manifest's or an index's");
        if (!seen_manifests_.insert(descriptor.digest.str()).second) return;
        auto bytes = read_small_file(layout_blob_path(dir_, descriptor.digest), max_manifest_size);
        if (sha256_of(bytes) != descriptor.digest)
            throw InputError(dir_ + ": manifest " + descriptor.digest.str() +
                             " does not match its digest");
        auto where = dir_ + ": manifest " + descriptor.digest.str();
        auto json = parse_json(bytes, where);
        if (descriptor.media_type == media_type::oci_index ||
            descriptor.media_type == media_type::docker_manifest_list) {
            for (const auto& child : json.value("manifests", nlohmann::json::array()))
                visit(descriptor_from_json(child, where), depth + 1);
        } else {
            add_blobs(json, where);
        }
        image_.manifests.push_back({descriptor, std::move(bytes)});
    }

private:
    void add_blob(const Descriptor& blob) {
        if (is_manifest_media_type(blob.media_type))
            throw InputError(dir_ + ": a manifest references manifest " + blob.digest.str() +
                             " as a blob");
        if (seen_blobs_.insert(blob.digest.str()).second) image_.blobs.push_back(blob);
    }

    void add_blobs(const nlohmann::json& manifest, const std::string& where) {
        if (auto config = manifest.find("config"); config != manifest.end())
            add_blob(descriptor_from_json(*config, where));
        for (const auto& layer : manifest.value("layers", nlohmann::json::array()))
            add_blob(descriptor_from_json(layer, where));
        auto annotations = manifest.value("annotations", nlohmann::json::object());
        if (auto base = annotations.find(base_name); base != annotations.end() && base->is_string())
            image_.base_names.push_back(base->get<std::string>());
    }

    const std::string& dir_;
    LayoutImage& image_;
    std::set<std::string> seen_manifests_, seen_blobs_;
};

} // namespace

std::string layout_blob_path(const std::string& dir, const Digest& digest) {
    return dir + "/blobs/" + digest.algorithm() + "/" + digest.hex();
}

LayoutImage read_layout_image(const std::string& dir, const std::string& tag) {
    auto index =
        parse_json(read_small_file(dir + "/index.json", max_manifest_size), dir + "/index.json");
    LayoutImage image;
    image.root = pick_root(index, tag, dir);
    if (!is_manifest_media_type(image.root.media_type))
        throw InputError(dir + ": \"" + tag + "\" names a " + image.root.media_type +
                         ", not an image");
    Walker(dir, image).visit(image.root, 0);
    return image;
}

} // namespace ckimg::registry
