#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>

namespace ckimg {

namespace {

std::string renamed(std::string message, const std::string& from, const std::string& to) {
    for (auto at = message.find(from); at != std::string::npos;
         at = message.find(from, at + to.size()))
        message.replace(at, from.size(), to);
    return message;
}

// build_image() read the archive as "/dev/fd/N"; its messages name the kubelet's path instead.
[[noreturn]] void rethrow_as(const std::string& descriptor_path, const std::string& path) {
    try {
        throw;
    } catch (const InputError& e) {
        throw InputError(renamed(e.what(), descriptor_path, path));
    } catch (const IoError& e) {
        throw IoError(renamed(e.what(), descriptor_path, path));
    }
}

} // namespace

KubeletCheckpointResult checkpoint_container(const KubeletCheckpointOptions& options,
                                             const Context& context) {
    if (options.remove_archive && !options.build.push)
        throw UsageError("--rm needs --push: the archive is removed once a registry has the image");
    KubeletCheckpointResult result;
    result.archive = request_checkpoint(options.target, options.kubelet, context);
    CheckpointFile file(result.archive, options.kubelet.checkpoints_dir);
    BuildOptions build = options.build;
    build.archive = file.descriptor_path();
    try {
        result.build = build_image(build, context);
    } catch (...) {
        rethrow_as(build.archive, result.archive);
    }
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
