#include <ckimg/error.hpp>
#include <ckimg/export.hpp>
#include <ckimg/signature.hpp>

#include "oci/archive_file.hpp"
#include "oci/fifo_sink.hpp"

#include <csignal>
#include <ctime>

namespace ckimg {

const Format& checkpoint_format(const ImageSource& source, const ResolvedImage& image) {
    if (const Format* format = detect_format(image.manifest)) return *format;
    throw InputError(source.describe() + ": not a checkpoint image (no checkpoint format "
                                         "recognises its manifest; see 'ckimg formats')");
}

namespace {

// While a FIFO is written, a reader that goes away makes the write fail with EPIPE (an error
// naming the FIFO) rather than kill the process: SIGPIPE is blocked on this thread, and one left
// pending is taken before the mask is restored.
class PipeSignalBlocked {
public:
    PipeSignalBlocked() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
    }
    ~PipeSignalBlocked() {
        const timespec now{};
        while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
        }
        pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
    }
    PipeSignalBlocked(const PipeSignalBlocked&) = delete;
    PipeSignalBlocked& operator=(const PipeSignalBlocked&) = delete;

private:
    sigset_t pipe_{};
    sigset_t saved_{};
};

} // namespace

ExportResult export_checkpoint(const ExportOptions& options, const Context& context) {
    const bool fifo = options.output != "-" && is_fifo(options.output);
    if (options.config_readers > 0 && !fifo)
        throw UsageError("--config-readers: " + options.output + " is not a FIFO (mkfifo)");
    auto opened = open_image_source(options.source, options.registry, context);
    verify_source_signature(options.source, *opened, options.verify_key, options.registry, context);
    auto source = decrypting_source(std::move(opened), options.decryption);
    auto image = resolve_image(*source);
    const Format& format = checkpoint_format(*source, image);
    ExportResult result;
    result.source = source->describe();
    result.output = options.output;
    result.format = format.name();
    result.manifest = image.manifest_descriptor;
    if (options.output == "-") {
        FdSink out(1, "standard output", context.cancel);
        format.read(*source, image, out);
        out.finish();
        result.bytes = out.bytes();
        return result;
    }
    if (fifo) {
        PipeSignalBlocked blocked;
        FifoSink out(options.output, options.config_readers, context.cancel);
        format.read(*source, image, out);
        out.finish();
        result.bytes = out.bytes();
        return result;
    }
    AtomicFile file(options.output, context.cancel);
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
