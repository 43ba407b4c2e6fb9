#include "formats/checkpoint_annotations.hpp"

#include "oci/tar_writer.hpp"

namespace ckimg {

Annotations criu_annotations(const CheckpointInfo& info) {
    const std::pair<const char*, const std::string*> fields[] = {
        {"container.name", &info.container_name},
        {"pod.name", &info.pod_name},
        {"pod.namespace", &info.pod_namespace},
        {"pod.uid", &info.pod_uid},
        {"rootfsImageName", &info.rootfs_image_name},
        {"rootfsImageID", &info.rootfs_image_id},
        {"rawImageName", &info.raw_image_name},
        {"runtime.name", &info.runtime},
        {"host.arch", &info.host_arch},
    };
    Annotations annotations{{"org.criu.checkpoint.engine.name", engine_display_name(info.engine)}};
    for (const auto& [key, value] : fields)
        if (!value->empty()) annotations[std::string("org.criu.checkpoint.") + key] = *value;
    return annotations;
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
    for (const auto& layer : layers) diff_ids.push_back(layer.diff_id.str());
    nlohmann::json config = {
        {"created", created},
        {"architecture", platform.architecture},
        {"os", platform.os},
        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
        {"history", nlohmann::json::array({{{"created", created}, {"created_by", created_by}}})},
    };
    if (!platform.variant.empty()) config["variant"] = platform.variant;
    if (!labels.empty()) config["config"] = {{"Labels", to_json(labels)}};
    return config;
}

Layer copy_archive_into_layer(CheckpointArchive& archive, LayerFactory& layers) {
    auto stream = layers.begin_layer();
    TarWriter tar(stream->tar());
    archive.scan([&](ArchiveEntry& entry) { tar.add(entry); });
    tar.finish();
    return stream->finish();
}

} // namespace ckimg
