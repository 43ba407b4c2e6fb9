#include <ckimg/checkpoint.hpp>
#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>

namespace ckimg {

KubeletCheckpointResult checkpoint_container(const KubeletCheckpointOptions& options,
                                             const Context& context) {
    if (options.remove_archive && !options.build.push)
        throw UsageError("--rm needs --push: the archive is removed once a registry has the image");
    KubeletCheckpointResult result;
    result.archive = request_checkpoint(options.target, options.kubelet, context);
    CheckpointFile file(result.archive, options.kubelet.checkpoints_dir);
    // Read through the descriptor that was checked, named by the kubelet's path in messages.
    CheckpointArchive archive(file.descriptor_path(), result.archive, context.cancel);
    result.build = build_image(archive, options.build, context);
    if (options.remove_archive && result.build.push) {
        try {
            file.remove();
            result.removed = true;
        } catch (const Error& e) {
            result.remove_error = e.what();
        }
    }
    return result;
}

} // namespace ckimg
