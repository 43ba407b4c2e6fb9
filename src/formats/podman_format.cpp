// The image `podman container checkpoint --create-image` makes: one layer with the archive's
// entries at its root (buildah's "add" of the exported archive), and the
// io.podman.annotations.checkpoint.* keys of libpod/define/annotations.go on the manifest.
// Podman takes an image for a checkpoint when runtime.name is present and equal to its own OCI
// runtime (cmd/podman/utils IsCheckpointImage), and its restore reads config.dump as libpod's
// own container config: it restores only checkpoints that Podman made.
#include "formats/podman_format.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "formats/checkpoint_annotations.hpp"
#include "formats/layer_reader.hpp"

namespace ckimg {

namespace {

constexpr const char* kPrefix = "io.podman.annotations.checkpoint.";
constexpr const char* kRuntimeName = "io.podman.annotations.checkpoint.runtime.name";

// Podman compares runtime.name with its OCI runtime's name ("crun", "runc"); containerd
// records its shim instead ("io.containerd.runc.v2"), whose OCI runtime is the middle word.
std::string oci_runtime_name(const std::string& runtime) {
    const std::string shim = "io.containerd.";
    if (runtime.rfind(shim, 0) != 0) return runtime;
    auto name = runtime.substr(shim.size());
    return name.substr(0, name.find('.'));
}

// The keys the archive can fill. podman.version, criu.version, runtime.version,
// conmon.version, host.kernel, cgroups.version and distribution.* describe the checkpointing
// host, which the archive does not record: they are left out rather than invented.
Annotations podman_annotations(const CheckpointInfo& info) {
    const std::pair<const char*, std::string> fields[] = {
        {"name", info.container_name},
        {"rawImageName", info.raw_image_name},
        {"rootfsImageID", info.rootfs_image_id},
        {"rootfsImageName", info.rootfs_image_name},
        {"runtime.name", oci_runtime_name(info.runtime)},
        {"host.arch", info.host_arch},
    };
    Annotations annotations;
    for (const auto& [key, value] : fields)
        if (!value.empty()) annotations[kPrefix + std::string(key)] = value;
    return annotations;
}

std::vector<std::string> podman_warnings(const CheckpointInfo& info) {
    if (info.engine == Engine::podman) return {};
    return {"the archive was made by " + engine_display_name(info.engine) +
            "; Podman restores only checkpoints Podman made (its config.dump is libpod's "
            "container config), so this image serves inspection and transport, not "
            "'podman container restore'"};
}

class PodmanFormat : public Format {
public:
    std::string name() const override { return "podman"; }
    std::string description() const override {
        return "Podman checkpoint image, as 'podman container checkpoint --create-image' makes: "
               "one layer, io.podman.annotations.checkpoint.* on the manifest; Podman restores "
               "only archives that Podman made";
    }

    ImagePlan write(CheckpointArchive& archive, LayerFactory& layers,
                    const FormatOptions& options) const override {
        auto [plan, created] = single_layer_image(archive, layers, options, name());
        const auto& info = archive.info();
        // The org.criu.checkpoint.* keys carry what Podman's keys cannot (engine, pod); Podman
        // ignores them.
        Annotations annotations = criu_annotations(info);
        for (auto& [key, value] : podman_annotations(info))
            annotations[key] = value;
        annotations[kImageCreated] = created;
        for (const auto& [key, value] : options.extra_annotations)
            annotations[key] = value;
        if (annotation(annotations, kRuntimeName).empty())
            throw InputError(archive.path() +
                             ": the archive records no OCI runtime, which Podman "
                             "needs; give it with --annotation " +
                             std::string(kRuntimeName) + "=crun (or runc)");
        plan.manifest_annotations = annotations;
        link_base_image(plan, info, options);
        plan.warnings = podman_warnings(info);
        return plan;
    }

    bool detect(const nlohmann::json& manifest) const override {
        return image_with_annotation(manifest, kRuntimeName);
    }

    void read(ImageSource& source, const ResolvedImage& image, ByteSink& archive) const override {
        copy_single_layer(source, image, archive);
    }

    // As for crio, config.dump sits in the one layer beside the memory pages: the facts come
    // from the annotations. An image Podman made has no engine key; it is Podman's.
    CheckpointInfo describe(ImageSource&, const ResolvedImage& image) const override {
        auto annotations = image_annotations(image);
        auto info = info_from_criu_annotations(annotations, Engine::podman);
        auto podman = [&](const char* key, std::string& field) {
            auto value = annotation(annotations, kPrefix + std::string(key));
            if (!value.empty()) field = value;
        };
        podman("name", info.container_name);
        podman("rawImageName", info.raw_image_name);
        podman("rootfsImageID", info.rootfs_image_id);
        podman("rootfsImageName", info.rootfs_image_name);
        if (info.runtime.empty()) podman("runtime.name", info.runtime);
        podman("host.arch", info.host_arch);
        return info;
    }
};

} // namespace

const Format& podman_format() {
    static const PodmanFormat format;
    return format;
}

} // namespace ckimg
