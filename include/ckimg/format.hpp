// A checkpoint image format: how a parsed checkpoint becomes an image, and back. Each format is
// one source file in src/formats that registers itself in the format registry; adding a format
// touches nothing else.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/compression.hpp>
#include <ckimg/image.hpp>
#include <ckimg/sink.hpp>

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
};

struct FormatOptions {
    Annotations extra_annotations; // --annotation, applied last
    Annotations labels;            // --label, into the config
    std::optional<Platform> platform;
    std::optional<std::string> created; // RFC 3339
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
};

// The registered formats, by name.
const std::vector<const Format*>& all_formats();
const Format& find_format(const std::string& name); // throws UsageError for an unknown name
const Format* detect_format(const nlohmann::json& manifest);

} // namespace ckimg
