#include "core/gzip_sink.hpp"

#include <ckimg/error.hpp>

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

namespace ckimg {

namespace {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// A deflate output buffer. Unlike a vector it does not zero what it grows into: the deflater
// writes only part of it, and clearing a megabyte per block costs time and touches memory.
class OutputBuffer {
public:
    std::uint8_t* data() { return data_.get(); }
    const std::uint8_t* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    // Makes room for `capacity` bytes, keeping the first size() bytes.
    void reserve(std::size_t capacity) {
        if (capacity <= capacity_) return;
        std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[capacity]);
        if (size_ != 0) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = capacity;
    }
    void set_size(std::size_t size) { size_ = size; }

private:
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

constexpr std::size_t kWindow = std::size_t{32}
                                << 10; // deflate's reach back, and so each block's dictionary

// The member header: no name, no mtime, no extra flags, OS "unknown" (as ISA-L writes it), so it
// is the same on every host and for every level.
constexpr std::uint8_t kGzipHeader[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};

// Output room for deflating `size` bytes: deflate never grows data by more than a few bytes per
// 16 KiB; the margin covers the block headers. (A smaller buffer is grown, also deterministically.)
std::size_t output_bound(std::size_t size) {
    return size + size / 8 + 1024;
}

// Deflates one block into raw deflate data that may refer back into `dict` and ends on a byte
// boundary: with an empty stored block (sync flush) when more blocks follow, with the final
// block when `last`. The bytes depend only on the arguments.
class BlockDeflater {
public:
    virtual ~BlockDeflater() = default;
    virtual void deflate(ByteSpan dict, ByteSpan input, bool last, OutputBuffer& out) = 0;
};

std::size_t isal_level_buffer_size(int level) {
    switch (level) {
    case 1:
        return ISAL_DEF_LVL1_DEFAULT;
    case 2:
        return ISAL_DEF_LVL2_DEFAULT;
    case 3:
        return ISAL_DEF_LVL3_DEFAULT;
    default:
        return 0;
    }
}

class IsalDeflater : public BlockDeflater {
public:
    explicit IsalDeflater(int level) : level_(level), level_buf_(isal_level_buffer_size(level)) {}

    void deflate(ByteSpan dict, ByteSpan input, bool last, OutputBuffer& out) override {
        start(dict, last);
        stream_.next_in = const_cast<std::uint8_t*>(input.data());
        stream_.avail_in = static_cast<std::uint32_t>(input.size());
        out.set_size(0);
        out.reserve(output_bound(input.size()));
        for (;;) {
            stream_.next_out = out.data() + out.size();
            stream_.avail_out = static_cast<std::uint32_t>(out.capacity() - out.size());
            if (isal_deflate(&stream_) != COMP_OK) throw Error("gzip compression (ISA-L) failed");
            out.set_size(out.capacity() - stream_.avail_out);
            if (complete(last)) break;
            if (stream_.avail_out == 0) out.reserve(out.capacity() * 2);
        }
    }

private:
    void start(ByteSpan dict, bool last) {
        isal_deflate_init(&stream_);
        stream_.level = static_cast<std::uint32_t>(level_);
        stream_.level_buf = level_buf_.empty() ? nullptr : level_buf_.data();
        stream_.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
        stream_.gzip_flag = IGZIP_DEFLATE; // the member header and trailer are written once
        stream_.end_of_stream = last ? 1 : 0;
        stream_.flush = last ? NO_FLUSH : SYNC_FLUSH;
        if (!dict.empty() &&
            isal_deflate_set_dict(&stream_, const_cast<std::uint8_t*>(dict.data()),
                                  static_cast<std::uint32_t>(dict.size())) != COMP_OK)
            throw Error("gzip compression (ISA-L) refused its dictionary");
    }

    // ISA-L: after a sync flush with input left to take, output room left over means that
    // everything was flushed; the final block ends in ZSTATE_END.
    bool complete(bool last) const {
        if (last) return stream_.internal_state.state == ZSTATE_END;
        return stream_.avail_in == 0 && stream_.avail_out > 0;
    }

    int level_;
    Bytes level_buf_;
    isal_zstream stream_{};
};

class ZlibDeflater : public BlockDeflater {
public:
    explicit ZlibDeflater(int level) {
        // Raw deflate (negative window bits): the gzip framing is ours.
        if (deflateInit2(&stream_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw Error("cannot initialise zlib");
    }
    ~ZlibDeflater() override { deflateEnd(&stream_); }
    ZlibDeflater(const ZlibDeflater&) = delete;
    ZlibDeflater& operator=(const ZlibDeflater&) = delete;

    void deflate(ByteSpan dict, ByteSpan input, bool last, OutputBuffer& out) override {
        if (deflateReset(&stream_) != Z_OK) throw Error("gzip compression (zlib) failed");
        if (!dict.empty() &&
            deflateSetDictionary(&stream_, dict.data(), static_cast<uInt>(dict.size())) != Z_OK)
            throw Error("gzip compression (zlib) refused its dictionary");
        stream_.next_in = const_cast<Bytef*>(input.data());
        stream_.avail_in = static_cast<uInt>(input.size());
        out.set_size(0);
        out.reserve(output_bound(input.size()));
        int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
        for (;;) {
            stream_.next_out = out.data() + out.size();
            stream_.avail_out = static_cast<uInt>(out.capacity() - out.size());
            int status = ::deflate(&stream_, flush);
            if (status == Z_STREAM_ERROR) throw Error("gzip compression (zlib) failed");
            out.set_size(out.capacity() - stream_.avail_out);
            if (last ? status == Z_STREAM_END : stream_.avail_out > 0) break;
            if (stream_.avail_out == 0) out.reserve(out.capacity() * 2);
        }
    }

private:
    z_stream stream_{};
};

// Deflaters for the worker threads: each block borrows one for its run (they hold a few hundred
// KiB of state each, too much to make per block).
class DeflaterPool {
public:
    explicit DeflaterPool(int level) : level_(level) {}

    std::unique_ptr<BlockDeflater> acquire() {
        {
            std::lock_guard lock(mutex_);
            if (!free_.empty()) {
                auto deflater = std::move(free_.back());
                free_.pop_back();
                return deflater;
            }
        }
        if (level_ <= ISAL_DEF_MAX_LEVEL) return std::make_unique<IsalDeflater>(level_);
        return std::make_unique<ZlibDeflater>(level_);
    }

    void release(std::unique_ptr<BlockDeflater> deflater) {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(deflater));
    }

private:
    int level_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<BlockDeflater>> free_;
};

// One block of the stream: its input, the window before it, and once run, its deflate bytes and
// the CRC-32 of its input (combined in order into the member's CRC).
struct Block : WorkerPool::Task {
    DeflaterPool* deflaters = nullptr;
    Bytes dict;
    Bytes input;
    OutputBuffer output;
    bool last = false;
    std::uint32_t crc = 0;

    void run() override {
        auto deflater = deflaters->acquire();
        deflater->deflate(dict, input, last, output);
        deflaters->release(std::move(deflater));
        crc = crc32_gzip_refl(0, input.data(), input.size());
    }
};

class ParallelGzipSink : public ByteSink {
public:
    ParallelGzipSink(int level, ByteSink& next, const ParallelOptions& options)
        : next_(next), block_size_(options.block_size ? options.block_size : kGzipBlockSize),
          deflaters_(level), pool_(options.threads ? options.threads : default_threads()),
          max_in_flight_(pool_.threads() + 2) {
        current_ = take_block();
        next_.write(kGzipHeader, sizeof kGzipHeader);
    }
    ParallelGzipSink(const ParallelGzipSink&) = delete;
    ParallelGzipSink& operator=(const ParallelGzipSink&) = delete;

    void write(const std::uint8_t* data, std::size_t size) override {
        while (size > 0) {
            auto piece = std::min(size, block_size_ - current_->input.size());
            current_->input.insert(current_->input.end(), data, data + piece);
            data += piece;
            size -= piece;
            if (current_->input.size() == block_size_) submit(false);
        }
    }

    void finish() override {
        submit(true); // possibly empty: it carries the final-block bit
        while (!in_flight_.empty())
            emit_oldest();
        std::uint8_t trailer[8];
        put_le32(trailer, crc_);
        put_le32(trailer + 4, static_cast<std::uint32_t>(total_in_)); // ISIZE: size mod 2^32
        next_.write(trailer, sizeof trailer);
        next_.finish();
    }

private:
    std::unique_ptr<Block> take_block() {
        std::unique_ptr<Block> block;
        if (!spare_.empty()) {
            block = std::move(spare_.back());
            spare_.pop_back();
        } else {
            block = std::make_unique<Block>();
            block->deflaters = &deflaters_;
            // Allocated once here, on one thread, and recycled: no allocator churn per block.
            block->input.reserve(block_size_);
            block->output.reserve(output_bound(block_size_));
        }
        block->input.clear();
        block->dict.clear();
        return block;
    }

    void submit(bool last) {
        auto block = std::move(current_);
        block->last = last;
        if (!last) {
            current_ = take_block();
            auto tail = std::min(kWindow, block->input.size());
            current_->dict.assign(block->input.end() - static_cast<std::ptrdiff_t>(tail),
                                  block->input.end());
        }
        pool_.submit(*block);
        in_flight_.push_back(std::move(block));
        // Hand on whatever is done, and wait when the queue is full: memory stays bounded.
        while (!in_flight_.empty() &&
               (in_flight_.size() > max_in_flight_ || pool_.done(*in_flight_.front())))
            emit_oldest();
    }

    void emit_oldest() {
        auto block = std::move(in_flight_.front());
        in_flight_.pop_front();
        pool_.wait(*block);
        crc_ = static_cast<std::uint32_t>(
            crc32_combine(crc_, block->crc, static_cast<z_off_t>(block->input.size())));
        total_in_ += block->input.size();
        next_.write(block->output.data(), block->output.size());
        spare_.push_back(std::move(block));
    }

    static void put_le32(std::uint8_t* out, std::uint32_t value) {
        for (int i = 0; i < 4; ++i)
            out[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }

    ByteSink& next_;
    std::size_t block_size_;
    DeflaterPool deflaters_;
    std::deque<std::unique_ptr<Block>> in_flight_;
    std::vector<std::unique_ptr<Block>> spare_;
    std::unique_ptr<Block> current_;
    std::uint32_t crc_ = 0;
    std::uint64_t total_in_ = 0;
    WorkerPool pool_; // after the blocks: destroyed first, so no worker outlives a block
    std::size_t max_in_flight_;
};

} // namespace

std::unique_ptr<ByteSink> make_gzip_sink(int level, ByteSink& next,
                                         const ParallelOptions& options) {
    return std::make_unique<ParallelGzipSink>(level, next, options);
}

} // namespace ckimg
