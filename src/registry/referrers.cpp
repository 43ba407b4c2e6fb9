#include "registry/referrers.hpp"

#include "core/json_limits.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include <algorithm>

namespace ckimg::registry {

namespace {

// A referrers index holds one small descriptor per referrer: 4 MiB is tens of thousands.
constexpr std::size_t kMaxReferrersIndex = 4 << 20;

// The descriptor that the referrers API would list for this manifest.
Descriptor referrer_entry(const nlohmann::json& manifest, const ManifestPut& stored) {
    Descriptor entry = stored.descriptor;
    if (manifest.contains("artifactType") && manifest["artifactType"].is_string())
        entry.artifact_type = manifest["artifactType"].get<std::string>();
    else if (manifest.contains("config") && manifest["config"].is_object() &&
             manifest["config"].contains("mediaType") &&
             manifest["config"]["mediaType"].is_string())
        entry.artifact_type = manifest["config"]["mediaType"].get<std::string>();
    if (manifest.contains("annotations") && manifest["annotations"].is_object()) {
        for (const auto& [key, value] : manifest["annotations"].items())
            if (value.is_string()) entry.annotations[key] = value.get<std::string>();
    }
    return entry;
}

// The current referrers index under `tag`, or a new empty one when the tag does not exist.
nlohmann::json fetch_referrers_index(RegistryClient& client, const std::string& tag) {
    HttpRequest request;
    request.url = client.repo_url("/manifests/" + tag);
    request.headers.push_back(std::string("Accept: ") + media_type::oci_index);
    request.max_response = kMaxReferrersIndex;
    auto response = client.send(request);
    if (response.status == 404)
        return {{"schemaVersion", 2},
                {"mediaType", media_type::oci_index},
                {"manifests", nlohmann::json::array()}};
    if (response.status != 200) throw client.failure(response, "GET", request.url);
    auto where = "the referrers index " + tag;
    if (response.body.size() >= kMaxReferrersIndex)
        throw RegistryError(where + " is larger than 4 MiB; refusing to extend it");
    auto index = parse_untrusted_json(response.body, where);
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
        throw RegistryError(where + " is not an image index; leaving the tag alone");
    return index;
}

} // namespace

std::string referrers_tag(const Digest& subject) {
    auto text = subject.str();
    auto colon = text.find(':');
    auto algorithm = text.substr(0, std::min<std::size_t>(colon, 32));
    auto encoded = text.substr(colon + 1, 64);
    return algorithm + "-" + encoded;
}

void keep_referrers_tag(RegistryClient& client, const std::string& bytes,
                        const ManifestPut& stored) {
    if (stored.subject_acknowledged) return;
    auto manifest = parse_untrusted_json(bytes, "manifest " + stored.descriptor.digest.str());
    if (!manifest.is_object() || !manifest.contains("subject")) return;
    auto subject = descriptor_from_json(manifest["subject"], "the manifest's subject");
    auto tag = referrers_tag(subject.digest);
    auto index = fetch_referrers_index(client, tag);
    auto& listed = index["manifests"];
    auto digest = stored.descriptor.digest.str();
    bool present = std::any_of(listed.begin(), listed.end(), [&](const nlohmann::json& entry) {
        // Any field may have any type: only a string digest is compared.
        if (!entry.is_object()) return false;
        auto it = entry.find("digest");
        return it != entry.end() && it->is_string() && it->get<std::string>() == digest;
    });
    if (present) return;
    listed.push_back(to_json(referrer_entry(manifest, stored)));
    // The registry's strings may not be UTF-8, which dump() would throw about in its own words.
    client.put_manifest(tag, media_type::oci_index,
                        index.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace ckimg::registry
