#include "core/gzip_sink.hpp"

#include <ckimg/error.hpp>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <cstring>
#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kOutChunk = 1 << 20;

std::size_t isal_level_buffer_size(int level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return 0;
    }
}

class IsalGzipSink : public ByteSink {
public:
    IsalGzipSink(int level, ByteSink& next)
        : next_(next), level_buf_(isal_level_buffer_size(level)), out_(kOutChunk) {
        isal_deflate_init(&stream_);
        stream_.level = static_cast<std::uint32_t>(level);
        stream_.level_buf = level_buf_.empty() ? nullptr : level_buf_.data();
        stream_.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
        // IGZIP_GZIP writes the generic header: mtime 0, no name, OS 255.
        stream_.gzip_flag = IGZIP_GZIP;
    }

    void write(const std::uint8_t* data, std::size_t size) override {
        while (size > 0) {
            auto piece = static_cast<std::uint32_t>(std::min<std::size_t>(size, 1u << 30));
            stream_.next_in = const_cast<std::uint8_t*>(data);
            stream_.avail_in = piece;
            stream_.end_of_stream = 0;
            while (stream_.avail_in > 0) pump();
            data += piece;
            size -= piece;
        }
    }

    void finish() override {
        stream_.next_in = nullptr;
        stream_.avail_in = 0;
        stream_.end_of_stream = 1;
        do {
            pump();
        } while (stream_.internal_state.state != ZSTATE_END);
        next_.finish();
    }

private:
    void pump() {
        stream_.next_out = out_.data();
        stream_.avail_out = static_cast<std::uint32_t>(out_.size());
        if (isal_deflate(&stream_) != COMP_OK) throw Error("gzip compression (ISA-L) failed");
        std::size_t produced = out_.size() - stream_.avail_out;
        if (produced != 0) next_.write(out_.data(), produced);
    }

    ByteSink& next_;
    isal_zstream stream_{};
    std::vector<std::uint8_t> level_buf_;
    std::vector<std::uint8_t> out_;
};

class ZlibGzipSink : public ByteSink {
public:
    ZlibGzipSink(int level, ByteSink& next) : next_(next), out_(kOutChunk) {
        // windowBits 15 + 16 selects the gzip wrapper; zlib's default header has mtime 0.
        if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw Error("cannot initialise zlib");
    }
    ~ZlibGzipSink() override { deflateEnd(&stream_); }
    ZlibGzipSink(const ZlibGzipSink&) = delete;
    ZlibGzipSink& operator=(const ZlibGzipSink&) = delete;

    void write(const std::uint8_t* data, std::size_t size) override {
        while (size > 0) {
            auto piece = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
            stream_.next_in = const_cast<Bytef*>(data);
            stream_.avail_in = piece;
            while (stream_.avail_in > 0) pump(Z_NO_FLUSH);
            data += piece;
            size -= piece;
        }
    }

    void finish() override {
        while (pump(Z_FINISH) != Z_STREAM_END) {
        }
        next_.finish();
    }

private:
    int pump(int flush) {
        stream_.next_out = out_.data();
        stream_.avail_out = static_cast<uInt>(out_.size());
        int status = deflate(&stream_, flush);
        if (status == Z_STREAM_ERROR) throw Error("gzip compression (zlib) failed");
        std::size_t produced = out_.size() - stream_.avail_out;
        if (produced != 0) next_.write(out_.data(), produced);
        return status;
    }

    ByteSink& next_;
    z_stream stream_{};
    std::vector<std::uint8_t> out_;
};

} // namespace

std::unique_ptr<ByteSink> make_gzip_sink(int level, ByteSink& next) {
    if (level <= ISAL_DEF_MAX_LEVEL) return std::make_unique<IsalGzipSink>(level, next);
    return std::make_unique<ZlibGzipSink>(level, next);
}

} // namespace ckimg
