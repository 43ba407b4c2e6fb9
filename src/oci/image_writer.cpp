#include <ckimg/image.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/sink.hpp>

namespace ckimg {

std::string canonical_json(const nlohmann::json& json) {
    // nlohmann's object is an ordered std::map, so dump() gives sorted keys and no whitespace.
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

namespace {

nlohmann::json manifest_json(const ImagePlan& plan, const Descriptor& config) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : plan.layers)
        layers.push_back(to_json(layer.descriptor));
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", media_type::oci_manifest},
                               {"config", to_json(config)},
                               {"layers", layers}};
    if (plan.artifact_type) manifest["artifactType"] = *plan.artifact_type;
    if (plan.subject) manifest["subject"] = to_json(*plan.subject);
    if (!plan.manifest_annotations.empty())
        manifest["annotations"] = to_json(plan.manifest_annotations);
    return manifest;
}

} // namespace

WrittenImage write_image(ImageSink& sink, const ImagePlan& plan) {
    WrittenImage written;
    written.config = sink.put_blob(plan.config_media_type, canonical_json(plan.config));
    written.manifest_json = canonical_json(manifest_json(plan, written.config));
    written.manifest = sink.put_blob(media_type::oci_manifest, written.manifest_json);
    written.manifest.platform = plan.platform;
    if (plan.artifact_type) written.manifest.artifact_type = plan.artifact_type;

    nlohmann::json index = {{"schemaVersion", 2},
                            {"mediaType", media_type::oci_index},
                            {"manifests", nlohmann::json::array({to_json(written.manifest)})}};
    if (!plan.index_annotations.empty()) index["annotations"] = to_json(plan.index_annotations);
    written.index = sink.put_blob(media_type::oci_index, canonical_json(index));
    return written;
}

} // namespace ckimg
