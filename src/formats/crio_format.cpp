// The format the Kubernetes checkpoint blog's buildah recipe makes, which CRI-O restores: one
// layer holding the archive's entries at its root, the CRI-O checkpoint annotation on the
// manifest. The same annotations on the index serve containerd 2.1-2.3, which reads them there.
#include "formats/crio_format.hpp"

#include <ckimg/media_types.hpp>

#include "formats/checkpoint_annotations.hpp"
#include "formats/layer_reader.hpp"

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
        auto [plan, created] = single_layer_image(archive, layers, options, name());
        const auto& info = archive.info();
        Annotations annotations = criu_annotations(info);
        annotations[kCrioCheckpointName] = info.container_name;
        annotations[kImageCreated] = created;
        for (const auto& [key, value] : options.extra_annotations)
            annotations[key] = value;
        plan.manifest_annotations = annotations;
        link_base_image(plan, info, options);
        plan.index_annotations = annotations;
        return plan;
    }

    bool detect(const nlohmann::json& manifest) const override {
        return image_with_annotation(manifest, kCrioCheckpointName);
    }

    void read(ImageSource& source, const ResolvedImage& image, ByteSink& archive) const override {
        copy_single_layer(source, image, archive);
    }

    // config.dump and spec.dump live inside the one layer, next to the memory pages, so the
    // facts come from the annotations alone: names, image, runtime, engine, architecture.
    // Times and sizes are not recorded there and stay empty.
    CheckpointInfo describe(ImageSource&, const ResolvedImage& image) const override {
        auto annotations = image_annotations(image);
        // The buildah recipe sets only the CRI-O key: a CRI-O checkpoint.
        auto info = info_from_criu_annotations(annotations, Engine::crio);
        if (info.container_name.empty())
            info.container_name = annotation(annotations, kCrioCheckpointName);
        return info;
    }
};

} // namespace

const Format& crio_format() {
    static const CrioFormat format;
    return format;
}

} // namespace ckimg
