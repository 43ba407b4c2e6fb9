#include "crypto/rewritten_source.hpp"

#include "oci/verified_source.hpp"

namespace ckimg::crypto {

namespace {

bool rewrite_index(nlohmann::json& doc, const std::map<Digest, Descriptor>& replaced) {
    bool changed = false;
    for (auto& entry : doc["manifests"]) {
        auto it = replaced.find(Digest::parse(entry["digest"].get<std::string>()));
        if (it == replaced.end()) continue;
        entry["digest"] = it->second.digest.str();
        entry["size"] = it->second.size;
        changed = true;
    }
    return changed;
}

} // namespace

std::string RewrittenSource::read_blob(const Descriptor& blob, std::size_t limit) {
    auto doc = documents_.find(blob.digest);
    if (doc != documents_.end()) return doc->second;
    if (!replaces(blob.digest)) return inner_->read_blob(blob, limit);
    check_size_limit(blob, limit, describe());
    return read_all(*open_blob(blob), blob);
}

void RewrittenSource::rewrite(const ImageGraph& graph, const ManifestEdit& edit) {
    std::map<Digest, Descriptor> replaced;
    for (const auto& node : graph.manifests) {
        nlohmann::json doc = node.json;
        bool changed = node.is_index() ? rewrite_index(doc, replaced) : edit(doc, node);
        if (!changed) continue;
        std::string bytes = canonical_json(doc);
        Descriptor updated = node.descriptor;
        updated.digest = sha256_of(bytes);
        updated.size = static_cast<std::int64_t>(bytes.size());
        replaced[node.descriptor.digest] = updated;
        documents_[updated.digest] = std::move(bytes);
    }
    auto root = replaced.find(root_.digest);
    if (root != replaced.end()) {
        root_.digest = root->second.digest;
        root_.size = root->second.size;
    }
}

} // namespace ckimg::crypto
