#include "core/zstd_sink.hpp"

#include <ckimg/error.hpp>

#include <zstd.h>

#include <string>
#include <vector>

namespace ckimg {

namespace {

class ZstdSink : public ByteSink {
public:
    ZstdSink(int level, ByteSink& next, const ParallelOptions& options)
        : next_(next), ctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
        if (ctx_ == nullptr) throw Error("cannot create a zstd compressor");
        set(ZSTD_c_compressionLevel, level);
        set(ZSTD_c_checksumFlag, 1);
        auto workers = static_cast<int>(options.threads ? options.threads : default_threads());
        // A libzstd built without threads refuses workers: it then compresses on this thread
        // (other bytes than with workers, but the same on every run with that library).
        if (!ZSTD_isError(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_nbWorkers, workers))) {
            auto job = options.block_size ? options.block_size : kZstdJobSize;
            set(ZSTD_c_jobSize, static_cast<int>(job));
        }
    }
    ~ZstdSink() override { ZSTD_freeCCtx(ctx_); }
    ZstdSink(const ZstdSink&) = delete;
    ZstdSink& operator=(const ZstdSink&) = delete;

    void write(const std::uint8_t* data, std::size_t size) override {
        ZSTD_inBuffer in{data, size, 0};
        while (in.pos < in.size)
            pump(in, ZSTD_e_continue);
    }

    void finish() override {
        ZSTD_inBuffer in{nullptr, 0, 0};
        while (pump(in, ZSTD_e_end) != 0) {
        }
        next_.finish();
    }

private:
    void set(ZSTD_cParameter parameter, int value) {
        auto status = ZSTD_CCtx_setParameter(ctx_, parameter, value);
        if (ZSTD_isError(status))
            throw Error(std::string("cannot configure zstd: ") + ZSTD_getErrorName(status));
    }

    std::size_t pump(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        std::size_t remaining = ZSTD_compressStream2(ctx_, &out, &in, mode);
        if (ZSTD_isError(remaining))
            throw Error(std::string("zstd compression failed: ") + ZSTD_getErrorName(remaining));
        if (out.pos != 0) next_.write(out_.data(), out.pos);
        return remaining;
    }

    ByteSink& next_;
    ZSTD_CCtx* ctx_;
    std::vector<std::uint8_t> out_;
};

} // namespace

std::unique_ptr<ByteSink> make_zstd_sink(int level, ByteSink& next,
                                         const ParallelOptions& options) {
    return std::make_unique<ZstdSink>(level, next, options);
}

} // namespace ckimg
