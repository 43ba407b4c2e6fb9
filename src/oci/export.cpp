#include <ckimg/error.hpp>
#include <ckimg/export.hpp>

#include "oci/archive_file.hpp"

namespace ckimg {

const Format& checkpoint_format(const ImageSource& source, const ResolvedImage& image) {
    if (const Format* format = detect_format(image.manifest)) return *format;
    throw InputError(source.describe() + ": not a checkpoint image (no checkpoint format "
                                         "recognises its manifest; see 'ckimg formats')");
}

ExportResult export_checkpoint(const ExportOptions& options) {
    auto source = decrypting_source(
        open_image_source(options.source, options.registry, options.cancel), options.decryption);
    auto image = resolve_image(*source);
    const Format& format = checkpoint_format(*source, image);
    ExportResult result;
    result.source = source->describe();
    result.output = options.output;
    result.format = format.name();
    result.manifest = image.manifest_descriptor;
    if (options.output == "-") {
        FdSink out(1, "standard output", options.cancel);
        format.read(*source, image, out);
        out.finish();
        result.bytes = out.bytes();
        return result;
    }
    AtomicFile file(options.output, options.cancel);
    format.read(*source, image, file.sink());
    file.commit();
    result.bytes = file.sink().bytes();
    return result;
}

nlohmann::json to_json(const ExportResult& result) {
    return {{"source", result.source},
            {"output", result.output},
            {"format", result.format},
            {"manifest", to_json(result.manifest)},
            {"bytes", result.bytes}};
}

} // namespace ckimg
