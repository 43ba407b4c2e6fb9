#include "formats/checkpoint_annotations.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "oci/tar_writer.hpp"

#include <array>

namespace ckimg {

namespace {

// The org.criu.checkpoint.* keys and the CheckpointInfo fields they carry, both ways.
template <typename Info> auto criu_fields(Info& info) {
    using Field = decltype(&info.container_name);
    return std::array<std::pair<const char*, Field>, 9>{{
        {"container.name", &info.container_name},
        {"pod.name", &info.pod_name},
        {"pod.namespace", &info.pod_namespace},
        {"pod.uid", &info.pod_uid},
        {"rootfsImageName", &info.rootfs_image_name},
        {"rootfsImageID", &info.rootfs_image_id},
        {"rawImageName", &info.raw_image_name},
        {"runtime.name", &info.runtime},
        {"host.arch", &info.host_arch},
    }};
}

constexpr const char* kCriuPrefix = "org.criu.checkpoint.";

} // namespace

Annotations criu_annotations(const CheckpointInfo& info) {
    Annotations annotations{{"org.criu.checkpoint.engine.name", engine_display_name(info.engine)}};
    for (const auto& [key, value] : criu_fields(info))
        if (!value->empty()) annotations[kCriuPrefix + std::string(key)] = *value;
    return annotations;
}

std::string annotation(const Annotations& annotations, const std::string& key) {
    auto it = annotations.find(key);
    return it == annotations.end() ? "" : it->second;
}

Annotations image_annotations(const ResolvedImage& image) {
    Annotations merged = image.index_annotations;
    auto it = image.manifest.find("annotations");
    if (it == image.manifest.end() || !it->is_object()) return merged;
    for (const auto& [key, value] : it->items())
        if (value.is_string()) merged[key] = value.get<std::string>();
    return merged;
}

CheckpointInfo info_from_criu_annotations(const Annotations& annotations, Engine fallback) {
    CheckpointInfo info;
    for (const auto& [key, value] : criu_fields(info))
        *value = annotation(annotations, kCriuPrefix + std::string(key));
    info.engine = fallback;
    auto engine = annotation(annotations, "org.criu.checkpoint.engine.name");
    for (Engine known : {Engine::crio, Engine::containerd, Engine::podman})
        if (engine == engine_display_name(known)) info.engine = known;
    return info;
}

bool image_with_annotation(const nlohmann::json& manifest, const char* key) {
    if (!manifest.is_object()) return false;
    auto annotations = manifest.find("annotations");
    if (annotations == manifest.end() || !annotations->is_object() || !annotations->contains(key))
        return false;
    auto config = manifest.find("config");
    if (config == manifest.end() || !config->is_object()) return false;
    auto type = config->find("mediaType");
    return type != config->end() && type->is_string() &&
           (*type == media_type::oci_config ||
            *type == "application/vnd.docker.container.image.v1+json");
}

namespace {

std::string dump_text(const CheckpointInfo& info, const char* key) {
    const auto& dump = info.config_dump;
    if (!dump.is_object() || !dump.contains(key) || !dump[key].is_string()) return "";
    return dump[key].get<std::string>();
}

} // namespace

std::string pinned_digest(const std::string& reference) {
    auto at = reference.rfind('@');
    if (at == std::string::npos) return "";
    try {
        return Digest::parse(reference.substr(at + 1)).str();
    } catch (const InputError&) {
        return "";
    }
}

std::string base_image_digest(const CheckpointInfo& info) {
    for (const auto& candidate : {dump_text(info, "rootfsImage"), dump_text(info, "rootfsImageRef"),
                                  info.rootfs_image_id, info.raw_image_name})
        if (auto digest = pinned_digest(candidate); !digest.empty()) return digest;
    return "";
}

void link_base_image(ImagePlan& plan, const CheckpointInfo& info, const FormatOptions& options) {
    if (!options.base_image) return;
    const Descriptor& base = *options.base_image;
    plan.subject = Descriptor{base.media_type, base.digest, base.size, {}, {}, {}};
    auto recorded = base_image_digest(info);
    if (!recorded.empty() && recorded != base.digest.str())
        plan.warnings.push_back("the base image given is " + base.digest.str() +
                                " but the checkpoint was made from " + recorded);
}

std::string image_created_time(const CheckpointInfo& info, const FormatOptions& options) {
    if (options.created) return *options.created;
    // Go writes the zero time for "never"; it is no creation time.
    for (const auto* candidate : {&info.checkpointed_time, &info.created_time})
        if (!candidate->empty() && candidate->rfind("0001-01-01", 0) != 0) return *candidate;
    return "1970-01-01T00:00:00Z";
}

Platform image_platform(const CheckpointInfo& info, const FormatOptions& options) {
    if (options.platform) return *options.platform;
    Platform platform = Platform::host();
    if (!info.host_arch.empty()) {
        platform.architecture = info.host_arch;
        platform.variant.clear();
    }
    return platform;
}

nlohmann::json image_config(const Platform& platform, const std::string& created,
                            const std::vector<Layer>& layers, const Annotations& labels,
                            const std::string& created_by) {
    auto diff_ids = nlohmann::json::array();
    for (const auto& layer : layers)
        diff_ids.push_back(layer.diff_id.str());
    nlohmann::json config = {
        {"created", created},
        {"architecture", platform.architecture},
        {"os", platform.os},
        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
        {"history", nlohmann::json::array({{{"created", created}, {"created_by", created_by}}})},
    };
    if (!platform.variant.empty()) config["variant"] = platform.variant;
    // Always present, empty without labels, as buildah and Podman's --create-image write it.
    config["config"] = nlohmann::json::object();
    if (!labels.empty()) config["config"]["Labels"] = to_json(labels);
    return config;
}

Layer copy_archive_into_layer(CheckpointArchive& archive, LayerFactory& layers) {
    if (auto adopted = layers.adopt_archive(archive)) return *adopted;
    auto stream = layers.begin_layer();
    TarWriter tar(stream->tar());
    archive.scan([&](ArchiveEntry& entry) { tar.add(entry); });
    tar.finish();
    return stream->finish();
}

SingleLayerImage single_layer_image(CheckpointArchive& archive, LayerFactory& layers,
                                    const FormatOptions& options, const std::string& format) {
    SingleLayerImage image;
    auto& plan = image.plan;
    plan.layers.push_back(copy_archive_into_layer(archive, layers));
    const auto& info = archive.info();
    image.created = image_created_time(info, options);
    plan.platform = image_platform(info, options);
    plan.config_media_type = media_type::oci_config;
    plan.config = image_config(plan.platform, image.created, plan.layers, options.labels,
                               "ckimg build --format " + format + " (checkpoint of container " +
                                   info.container_name + ")");
    return image;
}

} // namespace ckimg
