// Reading manifests and indexes from any source, as hostile input: known media types only, the
// document agreeing with the descriptor that named it (image-spec's fix for CVE-2021-41190, where
// one blob could be read as a manifest by one tool and as an index by another), size limits,
// bounded nesting, no cycles.
#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/source.hpp>

#include "core/json_limits.hpp"
#include "oci/verified_source.hpp"

#include <algorithm>
#include <set>

namespace ckimg {

namespace {

// Hostile documents may carry megabytes in a field; messages quote at most a line's worth.
std::string quoted(const std::string& text) {
    return "\"" + (text.size() > 100 ? text.substr(0, 100) + "..." : text) + "\"";
}

std::string node_name(const Descriptor& descriptor) {
    return (is_index_media_type(descriptor.media_type) ? "index " : "manifest ") +
           descriptor.digest.str();
}

void check_media_type(const Descriptor& descriptor, const std::string& source) {
    const auto& type = descriptor.media_type;
    if (is_index_media_type(type) || is_image_manifest_media_type(type)) return;
    throw InputError(source + ": " + descriptor.digest.str() + " has media type " + quoted(type) +
                     ", not an OCI or Docker image manifest or index");
}

void check_document(const nlohmann::json& json, const Descriptor& descriptor,
                    const std::string& where) {
    if (!json.is_object()) throw InputError(where + ": not a JSON object");
    auto version = json.find("schemaVersion");
    if (version == json.end() || !version->is_number_integer() || *version != 2)
        throw InputError(where + ": schemaVersion is not 2");
    if (auto type = json.find("mediaType"); type != json.end()) {
        if (!type->is_string() || type->get<std::string>() != descriptor.media_type)
            throw InputError(where + ": the document says mediaType " +
                             quoted(type->is_string() ? type->get<std::string>() : type->dump()) +
                             " but was referenced as " + quoted(descriptor.media_type));
    }
    bool index = is_index_media_type(descriptor.media_type);
    bool looks_like_index = json.contains("manifests");
    bool looks_like_manifest = json.contains("config") || json.contains("layers");
    if ((index && looks_like_manifest) || (!index && looks_like_index))
        throw InputError(where + ": ambiguous document (has both manifest and index fields)");
}

const nlohmann::json& array_field(const nlohmann::json& json, const char* key,
                                  const std::string& where) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_array()) throw InputError(where + ": no \"" + key + "\" array");
    return *it;
}

void parse_references(ManifestNode& node, const std::string& where) {
    if (node.is_index()) {
        for (const auto& entry : array_field(node.json, "manifests", where))
            node.children.push_back(descriptor_from_json(entry, where));
        return;
    }
    auto config = node.json.find("config");
    if (config == node.json.end()) throw InputError(where + ": no \"config\" descriptor");
    node.blobs.push_back(descriptor_from_json(*config, where));
    for (const auto& layer : array_field(node.json, "layers", where))
        node.blobs.push_back(descriptor_from_json(layer, where));
    // A manifest or index is never a config or a layer: copied as a blob it would skip the
    // checks every manifest gets (and a registry would be handed it as an opaque upload).
    for (const auto& blob : node.blobs)
        if (is_index_media_type(blob.media_type) || is_image_manifest_media_type(blob.media_type))
            throw InputError(where + ": references manifest " + blob.digest.str() + " as a blob (" +
                             blob.media_type + ")");
}

Annotations annotations_of(const nlohmann::json& json, const std::string& where) {
    Annotations out;
    auto it = json.find("annotations");
    if (it == json.end()) return out;
    if (!it->is_object()) throw InputError(where + ": \"annotations\" is not an object");
    for (const auto& [key, value] : it->items()) {
        if (!value.is_string())
            throw InputError(where + ": annotation " + quoted(key) + " is not a string");
        out[key] = value.get<std::string>();
    }
    return out;
}

// Refuses a descriptor already on the way down from the root, and a chain of too many indexes.
void check_chain(const std::vector<Digest>& chain, const Descriptor& next,
                 const std::string& source) {
    if (std::find(chain.begin(), chain.end(), next.digest) != chain.end())
        throw InputError(source + ": index " + chain.back().str() + " leads back to " +
                         next.digest.str() + " (a cycle)");
    if (is_index_media_type(next.media_type) &&
        chain.size() >= static_cast<std::size_t>(kMaxIndexDepth))
        throw InputError(source + ": indexes nested deeper than " + std::to_string(kMaxIndexDepth) +
                         " levels at " + next.digest.str());
}

bool platform_matches(const Descriptor& entry, const Platform& wanted) {
    if (!entry.platform) return false;
    const auto& have = *entry.platform;
    return have.os == wanted.os &&
           normalize_architecture(have.architecture) ==
               normalize_architecture(wanted.architecture) &&
           (wanted.variant.empty() || have.variant == wanted.variant);
}

// The only image in the index, else the first for the wanted platform (containerd's rule).
Descriptor choose_manifest(const ManifestNode& index, const std::optional<Platform>& platform,
                           const std::string& source) {
    std::vector<Descriptor> candidates;
    for (const auto& child : index.children)
        if (is_index_media_type(child.media_type) || is_image_manifest_media_type(child.media_type))
            candidates.push_back(child);
    auto where = source + ": index " + index.descriptor.digest.str();
    if (candidates.empty()) throw InputError(where + " lists no image manifest");
    if (candidates.size() == 1 && !platform) return candidates.front();
    auto wanted = platform ? *platform : Platform::host();
    for (const auto& candidate : candidates)
        if (platform_matches(candidate, wanted)) return candidate;
    std::string have;
    for (const auto& candidate : candidates)
        have += (have.empty() ? "" : ", ") +
                (candidate.platform ? candidate.platform->str() : std::string("unspecified"));
    throw InputError(where + " has no manifest for " + wanted.str() + " (it has " + have +
                     "); choose one with --platform");
}

ResolvedImage resolved_from(ManifestNode node, Annotations index_annotations,
                            std::vector<Descriptor> indexes, const std::string& source) {
    ResolvedImage image;
    auto where = source + ": " + node_name(node.descriptor);
    image.manifest_annotations = annotations_of(node.json, where);
    image.index_annotations = std::move(index_annotations);
    image.indexes = std::move(indexes);
    image.config = node.blobs.front();
    image.layers.assign(node.blobs.begin() + 1, node.blobs.end());
    image.manifest_descriptor = std::move(node.descriptor);
    image.manifest = std::move(node.json);
    image.manifest_bytes = std::move(node.bytes);
    return image;
}

class GraphWalker {
public:
    explicit GraphWalker(ImageSource& source) : source_(source), name_(source.describe()) {}

    void visit(const Descriptor& descriptor) {
        if (!chain_.empty()) check_chain(chain_, descriptor, name_);
        if (done_.count(descriptor.digest.str()) != 0) return;
        if (graph_.manifests.size() >= kMaxImageManifests)
            throw InputError(name_ + ": more than " + std::to_string(kMaxImageManifests) +
                             " manifests in one image");
        auto node = read_manifest(source_, descriptor);
        if (node.is_index()) {
            chain_.push_back(descriptor.digest);
            for (const auto& child : node.children)
                visit(child);
            chain_.pop_back();
        }
        for (const auto& blob : node.blobs)
            if (blobs_seen_.insert(blob.digest.str()).second) graph_.blobs.push_back(blob);
        done_.insert(descriptor.digest.str());
        graph_.manifests.push_back(std::move(node));
    }

    ImageGraph take() { return std::move(graph_); }

private:
    ImageSource& source_;
    std::string name_;
    ImageGraph graph_;
    std::vector<Digest> chain_;
    std::set<std::string> done_, blobs_seen_;
};

} // namespace

bool is_index_media_type(const std::string& media_type) {
    return media_type == media_type::oci_index || media_type == media_type::docker_manifest_list;
}

bool is_image_manifest_media_type(const std::string& media_type) {
    return media_type == media_type::oci_manifest || media_type == media_type::docker_manifest;
}

ManifestNode read_manifest(ImageSource& source, const Descriptor& descriptor) {
    auto name = source.describe();
    check_media_type(descriptor, name);
    check_size_limit(descriptor, kMaxManifestSize, name,
                     is_index_media_type(descriptor.media_type) ? "index" : "manifest");
    ManifestNode node;
    node.descriptor = descriptor;
    node.bytes = source.read_blob(descriptor, kMaxManifestSize);
    auto where = name + ": " + node_name(descriptor);
    node.json = parse_untrusted_json(node.bytes, where);
    check_document(node.json, descriptor, where);
    parse_references(node, where);
    return node;
}

ResolvedImage resolve_image(ImageSource& source, const std::optional<Platform>& platform) {
    auto name = source.describe();
    auto current = source.root();
    std::vector<Digest> chain;
    std::vector<Descriptor> indexes;
    Annotations index_annotations;
    for (;;) {
        if (!chain.empty()) check_chain(chain, current, name);
        auto node = read_manifest(source, current);
        if (!node.is_index())
            return resolved_from(std::move(node), std::move(index_annotations), std::move(indexes),
                                 name);
        // The nearer index wins: its annotations describe the image more closely.
        for (auto& [key, value] : annotations_of(node.json, name + ": " + node_name(current)))
            index_annotations[key] = value;
        chain.push_back(current.digest);
        indexes.push_back(current);
        current = choose_manifest(node, platform, name);
    }
}

ImageGraph read_image_graph(ImageSource& source) {
    GraphWalker walker(source);
    walker.visit(source.root());
    return walker.take();
}

} // namespace ckimg
