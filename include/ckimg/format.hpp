// A checkpoint image format: how a parsed checkpoint becomes an image, and back. Each format is
// one source file in src/formats that registers itself in the format registry; adding a format
// touches nothing else.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/compression.hpp>
#include <ckimg/image.hpp>
#include <ckimg/sink.hpp>
#include <ckimg/source.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ckimg {

// Makes layers: the format streams an uncompressed tar into layer(), the factory compresses,
// hashes and stores it.
class LayerFactory {
public:
    virtual ~LayerFactory() = default;
    class Stream {
    public:
        virtual ~Stream() = default;
        virtual ByteSink& tar() = 0;
        // Ends the layer; returns its descriptor and diff ID.
        virtual Layer finish() = 0;
    };
    virtual std::unique_ptr<Stream> begin_layer() = 0;
    // A layer of facts about the checkpoint (no memory, no files of the container) that a
    // factory encrypting layers by default leaves readable, so that schedulers can see what a
    // checkpoint is (the oci-checkpoint format's metadata layer).
    virtual std::unique_ptr<Stream> begin_descriptive_layer() { return begin_layer(); }
    // The archive's own bytes as a layer of all its entries, when the factory stores layers as
    // they are and the archive already is one (no copy: see oci/passthrough_layer.hpp). nullopt,
    // before anything is read, when it cannot; the format then streams the entries as usual.
    virtual std::optional<Layer> adopt_archive(CheckpointArchive& archive) {
        (void)archive;
        return std::nullopt;
    }
};

struct FormatOptions {
    Annotations extra_annotations; // --annotation, applied last
    Annotations labels;            // --label, into the config
    std::optional<Platform> platform;
    std::optional<std::string> created; // RFC 3339
    // The base image's root descriptor (ckimg build --base-image), for formats that link a
    // checkpoint to its image with `subject`.
    std::optional<Descriptor> base_image;
};

class Format {
public:
    virtual ~Format() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Reads the archive once, streaming its entries into layers, and describes the image.
    virtual ImagePlan write(CheckpointArchive& archive, LayerFactory& layers,
                            const FormatOptions& options) const = 0;
    // Does this manifest (with its index's annotations) look like an image of this format?
    virtual bool detect(const nlohmann::json& manifest) const = 0;

    // Streams the checkpoint archive back out of an image of this format: an uncompressed tar
    // with the original entries, in the original order, with the original contents. Blobs are
    // verified as they are read; a hostile layer (names out of the tree, links out of it,
    // device nodes) throws InputError. The caller finishes `archive`.
    virtual void read(ImageSource& source, const ResolvedImage& image, ByteSink& archive) const = 0;
    // The checkpoint facts the image states in its manifest, annotations and config, never
    // reading memory pages (ckimg inspect). Facts the format does not record stay empty (zero
    // for sizes); config_dump and spec_dump stay null: they live in layers.
    virtual CheckpointInfo describe(ImageSource& source, const ResolvedImage& image) const = 0;
    // Is `layer` (encrypted or not) one the format writes through begin_descriptive_layer? An
    // existing image's layers are left readable by the same rule as a build's (encrypting_source).
    virtual bool is_descriptive_layer(const Descriptor& layer) const {
        (void)layer;
        return false;
    }
};

// The registered formats, by name.
const std::vector<const Format*>& all_formats();
const Format& find_format(const std::string& name); // throws UsageError for an unknown name
const Format* detect_format(const nlohmann::json& manifest);

} // namespace ckimg
