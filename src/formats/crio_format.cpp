// The format the Kubernetes checkpoint blog's buildah recipe makes, which CRI-O restores: one
// layer holding the archive's entries at its root, the CRI-O checkpoint annotation on the
// manifest. The same annotations on the index serve containerd 2.1-2.3, which reads them there.
#include "formats/crio_format.hpp"

#include <ckimg/media_types.hpp>

#include "formats/checkpoint_annotations.hpp"

namespace ckimg {

namespace {

class CrioFormat : public Format {
public:
    std::string name() const override { return "crio"; }
    std::string description() const override {
        return "CRI-O/containerd checkpoint image, as the buildah recipe makes (default): one "
               "layer with the archive's files, checkpoint annotations on manifest and index";
    }

    ImagePlan write(CheckpointArchive& archive, LayerFactory& layers,
                    const FormatOptions& options) const override {
        ImagePlan plan;
        plan.layers.push_back(copy_archive_into_layer(archive, layers));
        const auto& info = archive.info();
        auto created = image_created_time(info, options);
        plan.platform = image_platform(info, options);
        plan.config_media_type = media_type::oci_config;
        plan.config = image_config(plan.platform, created, plan.layers, options.labels,
                                   "ckimg build --format crio (checkpoint of container " +
                                       info.container_name + ")");
        Annotations annotations = criu_annotations(info);
        annotations[kCrioCheckpointName] = info.container_name;
        annotations[kImageCreated] = created;
        for (const auto& [key, value] : options.extra_annotations) annotations[key] = value;
        plan.manifest_annotations = annotations;
        plan.index_annotations = annotations;
        return plan;
    }

    bool detect(const nlohmann::json& manifest) const override {
        auto annotations = manifest.find("annotations");
        return annotations != manifest.end() && annotations->is_object() &&
               annotations->contains(kCrioCheckpointName);
    }
};

} // namespace

const Format& crio_format() {
    static const CrioFormat format;
    return format;
}

} // namespace ckimg
