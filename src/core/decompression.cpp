#include <ckimg/compression.hpp>
#include <ckimg/error.hpp>

#include <zlib.h>
#include <zstd.h>

#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kInChunk = 1 << 20;

class PassThroughSource : public ByteSource {
public:
    explicit PassThroughSource(ByteSource& input) : input_(input) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        return input_.read(buffer, capacity);
    }

private:
    ByteSource& input_;
};

// Reads every gzip member in turn, as gzip -d does (parallel compressors write several).
class GzipSource : public ByteSource {
public:
    explicit GzipSource(ByteSource& input) : input_(input), in_(kInChunk) {
        if (inflateInit2(&stream_, 15 + 16) != Z_OK) throw Error("cannot initialise zlib");
    }
    ~GzipSource() override { inflateEnd(&stream_); }
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        stream_.next_out = buffer;
        stream_.avail_out = static_cast<uInt>(std::min<std::size_t>(capacity, 1u << 30));
        while (stream_.avail_out == capacity && !done_)
            step();
        return capacity - stream_.avail_out;
    }

private:
    void step() {
        if (stream_.avail_in == 0 && !refill()) {
            if (in_member_) throw InputError("gzip stream is truncated");
            done_ = true;
            return;
        }
        in_member_ = true;
        int status = inflate(&stream_, Z_NO_FLUSH);
        if (status == Z_STREAM_END) {
            in_member_ = false;
            inflateReset(&stream_);
        } else if (status != Z_OK && status != Z_BUF_ERROR) {
            throw InputError(std::string("gzip data is corrupt: ") +
                             (stream_.msg ? stream_.msg : "inflate failed"));
        }
    }
    bool refill() {
        std::size_t got = input_.read(in_.data(), in_.size());
        stream_.next_in = in_.data();
        stream_.avail_in = static_cast<uInt>(got);
        return got != 0;
    }

    ByteSource& input_;
    std::vector<std::uint8_t> in_;
    z_stream stream_{};
    bool in_member_ = false;
    bool done_ = false;
};

class ZstdSource : public ByteSource {
public:
    explicit ZstdSource(ByteSource& input)
        : input_(input), ctx_(ZSTD_createDCtx()), in_(ZSTD_DStreamInSize()) {
        if (ctx_ == nullptr) throw Error("cannot create a zstd decompressor");
    }
    ~ZstdSource() override { ZSTD_freeDCtx(ctx_); }
    ZstdSource(const ZstdSource&) = delete;
    ZstdSource& operator=(const ZstdSource&) = delete;

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        ZSTD_outBuffer out{buffer, capacity, 0};
        while (out.pos == 0) {
            if (input_pos_ == input_size_) {
                input_size_ = input_.read(in_.data(), in_.size());
                input_pos_ = 0;
                if (input_size_ == 0) {
                    if (pending_) throw InputError("zstd stream is truncated");
                    return 0;
                }
            }
            ZSTD_inBuffer in{in_.data(), input_size_, input_pos_};
            std::size_t hint = ZSTD_decompressStream(ctx_, &out, &in);
            if (ZSTD_isError(hint))
                throw InputError(std::string("zstd data is corrupt: ") + ZSTD_getErrorName(hint));
            input_pos_ = in.pos;
            pending_ = hint != 0;
        }
        return out.pos;
    }

private:
    ByteSource& input_;
    ZSTD_DCtx* ctx_;
    std::vector<std::uint8_t> in_;
    std::size_t input_size_ = 0;
    std::size_t input_pos_ = 0;
    bool pending_ = false;
};

} // namespace

std::unique_ptr<ByteSource> make_decompressor(Compression compression, ByteSource& input) {
    switch (compression) {
    case Compression::gzip:
        return std::make_unique<GzipSource>(input);
    case Compression::zstd:
        return std::make_unique<ZstdSource>(input);
    case Compression::none:
        return std::make_unique<PassThroughSource>(input);
    }
    throw Error("unknown compression");
}

} // namespace ckimg
