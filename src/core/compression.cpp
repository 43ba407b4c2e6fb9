#include <ckimg/compression.hpp>
#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "core/gzip_sink.hpp"
#include "core/zstd_sink.hpp"

#include <zstd.h>

namespace ckimg {

Compression parse_compression(const std::string& name) {
    if (name == "gzip") return Compression::gzip;
    if (name == "zstd") return Compression::zstd;
    if (name == "none") return Compression::none;
    throw UsageError("unknown compression \"" + name + "\": use gzip, zstd or none");
}

std::string to_string(Compression compression) {
    switch (compression) {
    case Compression::gzip:
        return "gzip";
    case Compression::zstd:
        return "zstd";
    case Compression::none:
        return "none";
    }
    return "none";
}

namespace {

class PassThroughSink : public ByteSink {
public:
    explicit PassThroughSink(ByteSink& next) : next_(next) {}
    void write(const std::uint8_t* data, std::size_t size) override { next_.write(data, size); }
    void finish() override { next_.finish(); }

private:
    ByteSink& next_;
};

} // namespace

std::unique_ptr<ByteSink> make_compressor(Compression compression, std::optional<int> level,
                                          ByteSink& next) {
    switch (compression) {
    case Compression::none:
        return std::make_unique<PassThroughSink>(next);
    case Compression::zstd: {
        int chosen = level.value_or(3);
        if (chosen < 1 || chosen > ZSTD_maxCLevel())
            throw UsageError("zstd level must be 1 to " + std::to_string(ZSTD_maxCLevel()));
        return make_zstd_sink(chosen, next);
    }
    case Compression::gzip: {
        int chosen = level.value_or(1);
        if (chosen < 0 || chosen > 9) throw UsageError("gzip level must be 0 to 9");
        return make_gzip_sink(chosen, next);
    }
    }
    throw UsageError("unknown compression");
}

} // namespace ckimg
