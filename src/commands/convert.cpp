// Converting an image between formats: one format's read side streams the archive into a
// bounded pipe, on a thread of its own, and build_image reads it from the other end as a
// stream. Nothing is stored in between, so a checkpoint of any size converts in constant space.
#include <ckimg/error.hpp>
#include <ckimg/export.hpp>

#include "core/byte_pipe.hpp"

#include <atomic>
#include <optional>
#include <thread>

namespace ckimg {

namespace {

constexpr std::size_t kPipeBlock = 1 << 20;
constexpr std::size_t kPipeBlocks = 4;

// The producer's end: once the reader has gone (the build failed), writing stops the producer.
class PipeWriter : public ByteSink {
public:
    explicit PipeWriter(BytePipe& pipe) : pipe_(pipe) {}
    void write(const std::uint8_t* data, std::size_t size) override {
        if (!pipe_.write(data, size)) throw Cancelled("the conversion's build stopped reading");
    }
    void finish() override { pipe_.close(); }

private:
    BytePipe& pipe_;
};

class PipeReader : public ByteSource {
public:
    explicit PipeReader(BytePipe& pipe) : pipe_(pipe) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        return pipe_.read(buffer, capacity);
    }

private:
    BytePipe& pipe_;
};

// The producing side: reads the image and writes its archive into the pipe. Its failure reaches
// the reader as the producer's own error (BytePipe::fail), so messages and types are kept.
struct Producer {
    ImageSource& source;
    const ResolvedImage& image;
    const Format& format;
    BytePipe& pipe;
    std::atomic<bool> failed{false};
    std::exception_ptr error;

    void run() {
        try {
            PipeWriter out(pipe);
            format.read(source, image, out);
            out.finish();
        } catch (...) {
            error = std::current_exception();
            failed.store(true); // before fail() below, which the reader then sees
            pipe.fail(error);
        }
    }
};

} // namespace

ConvertResult convert_image(const ConvertOptions& options, const Context& context) {
    find_format(options.build.format); // a bad name fails before anything is read
    auto source = decrypting_source(open_image_source(options.source, options.registry, context),
                                    options.decryption);
    auto image = resolve_image(*source);
    const Format& from = checkpoint_format(*source, image);
    const auto name = source->describe(); // the source belongs to the producer from here on
    BytePipe pipe(kPipeBlock, kPipeBlocks);
    Producer producer{*source, image, from, pipe, {}, {}};
    std::thread thread([&] { producer.run(); });
    std::optional<ConvertResult> result;
    try {
        CheckpointArchive archive(std::make_unique<PipeReader>(pipe), name, context.cancel);
        result = ConvertResult{name, from.name(), build_image(archive, options.build, context)};
    } catch (...) {
        bool producer_first = producer.failed.load();
        pipe.abandon(); // a producer still writing stops at its next write
        thread.join();
        if (producer_first) std::rethrow_exception(producer.error);
        throw;
    }
    // The build read the stream to its end, which comes only after the producer checked the
    // source's digests: the producer is done.
    thread.join();
    if (producer.error) std::rethrow_exception(producer.error);
    return std::move(*result);
}

nlohmann::json to_json(const ConvertResult& result) {
    auto json = to_json(result.build);
    json["source"] = result.source;
    json["sourceFormat"] = result.source_format;
    return json;
}

} // namespace ckimg
