#include <ckimg/checkpoint.hpp>

namespace ckimg {

nlohmann::json to_json(const CheckpointInfo& info) {
    nlohmann::json json = {
        {"engine", engine_display_name(info.engine)},
        {"container", info.container_name},
        {"containerId", info.container_id},
        {"pod", info.pod_name},
        {"namespace", info.pod_namespace},
        {"podUid", info.pod_uid},
        {"image", info.rootfs_image_name},
        {"imageId", info.rootfs_image_id},
        {"runtime", info.runtime},
        {"created", info.created_time},
        {"checkpointed", info.checkpointed_time},
        {"checkpointedFrom", info.checkpointed_source},
        {"architecture", info.host_arch},
        {"entries", info.entry_count},
        {"size", info.total_size},
        {"criuDumpSize", info.criu_size},
        {"memoryPagesSize", info.pages_size},
        {"rootfsDiffSize", info.rootfs_diff_size},
    };
    return json;
}

CheckpointInfo validate_checkpoint(const std::string& path, std::uint64_t max_size,
                                   const CancelToken* cancel) {
    CheckpointArchive archive(path, cancel);
    archive.set_max_size(max_size);
    archive.scan([](ArchiveEntry&) {});
    return archive.info();
}

} // namespace ckimg
