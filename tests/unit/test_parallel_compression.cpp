// The parallel compressors: the same bytes whatever the thread count, and streams that the
// reference decoders (zlib, libzstd) read back whole.
#include <ckimg/error.hpp>

#include "core/gzip_sink.hpp"
#include "core/parallel_pool.hpp"
#include "core/zstd_sink.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

using namespace ckimg;

namespace {

using ckimg::test::StringSink;

// Memory-page-like content: zero pages, text and random bytes, as in a checkpoint.
std::string pages(std::size_t size, unsigned seed) {
    std::mt19937 random(seed);
    std::string out;
    out.reserve(size);
    while (out.size() < size) {
        auto kind = random() % 4;
        std::string page(4096, '\0');
        if (kind == 1)
            for (std::size_t i = 0; i < page.size(); ++i)
                page[i] = static_cast<char>('a' + (i * 7 + random() % 3) % 26);
        if (kind == 2)
            for (auto& c : page)
                c = static_cast<char>(random() & 0xff);
        out += page;
    }
    out.resize(size);
    return out;
}

// Writes `input` in uneven pieces, so that block boundaries fall inside writes.
std::string compress_with(std::unique_ptr<ByteSink> (*make)(int, ByteSink&, const ParallelOptions&),
                          int level, const std::string& input, ParallelOptions options) {
    StringSink out;
    auto sink = make(level, out, options);
    std::size_t step = 70001;
    for (std::size_t pos = 0; pos < input.size(); pos += step)
        sink->write(reinterpret_cast<const std::uint8_t*>(input.data()) + pos,
                    std::min(step, input.size() - pos));
    sink->finish();
    REQUIRE(out.finished == 1);
    return out.bytes;
}

// Inflates with zlib (gzip wrapper), which checks the CRC-32 and ISIZE of the trailer.
std::string gunzip(const std::string& gz) {
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    stream.avail_in = static_cast<uInt>(gz.size());
    std::string out;
    char buffer[1 << 16];
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        status = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer, sizeof buffer - stream.avail_out);
    }
    inflateEnd(&stream);
    CHECK(status == Z_STREAM_END);
    CHECK(stream.avail_in == 0); // one member, nothing after it
    return out;
}

std::string unzstd(const std::string& zst) {
    auto size = ZSTD_getFrameContentSize(zst.data(), zst.size());
    REQUIRE(size != ZSTD_CONTENTSIZE_ERROR);
    std::string out;
    auto* stream = ZSTD_createDStream();
    ZSTD_inBuffer in{zst.data(), zst.size(), 0};
    char buffer[1 << 16];
    std::size_t status = 1;
    while (status != 0 && !ZSTD_isError(status)) {
        ZSTD_outBuffer chunk{buffer, sizeof buffer, 0};
        status = ZSTD_decompressStream(stream, &chunk, &in);
        out.append(buffer, chunk.pos);
        if (chunk.pos == 0 && in.pos == in.size) break;
    }
    ZSTD_freeDStream(stream);
    CHECK(status == 0);
    return out;
}

} // namespace

TEST_CASE("parallel gzip gives the same bytes for 1, 2 and 4 threads", "[parallel]") {
    auto level = GENERATE(0, 1, 3, 6, 9);
    auto input = pages(3 * (1 << 20) + 12345, 7);
    auto one = compress_with(make_gzip_sink, level, input, {1, 0});
    CHECK(one == compress_with(make_gzip_sink, level, input, {2, 0}));
    CHECK(one == compress_with(make_gzip_sink, level, input, {4, 0}));
    CHECK(gunzip(one) == input);
    CHECK(one.size() < input.size() * 3 / 4);
}

TEST_CASE("parallel gzip: small blocks, block-aligned and empty inputs decode", "[parallel]") {
    auto level = GENERATE(1, 6);
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65536},
                             std::size_t{65536 * 5}, std::size_t{65536 * 5 + 17}}) {
        auto input = pages(size, static_cast<unsigned>(size));
        auto gz = compress_with(make_gzip_sink, level, input, {3, 65536});
        CHECK(gz == compress_with(make_gzip_sink, level, input, {1, 65536}));
        CHECK(gunzip(gz) == input);
    }
}

TEST_CASE("parallel gzip writes one member with a fixed header", "[parallel]") {
    auto gz = compress_with(make_gzip_sink, 1, pages(100000, 3), {2, 0});
    REQUIRE(gz.size() > 18);
    const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    CHECK(gz.compare(0, 10, reinterpret_cast<const char*>(header), 10) == 0);
    auto isize = static_cast<unsigned char>(gz[gz.size() - 4]) |
                 static_cast<unsigned char>(gz[gz.size() - 3]) << 8 |
                 static_cast<unsigned char>(gz[gz.size() - 2]) << 16;
    CHECK(isize == 100000);
}

TEST_CASE("parallel zstd gives the same bytes for 1, 2 and 4 workers", "[parallel]") {
    auto level = GENERATE(1, 3);
    auto input = pages(5 * (1 << 20) + 777, 11);
    auto one = compress_with(make_zstd_sink, level, input, {1, 0});
    CHECK(one == compress_with(make_zstd_sink, level, input, {2, 0}));
    CHECK(one == compress_with(make_zstd_sink, level, input, {4, 0}));
    CHECK(unzstd(one) == input);
    CHECK(one.size() < input.size() * 3 / 4);
}

TEST_CASE("a failing destination stops the parallel compressor with its error", "[parallel]") {
    class FailingSink : public ByteSink {
    public:
        void write(const std::uint8_t*, std::size_t size) override {
            written += size;
            if (written > 100000) throw IoError("disk full");
        }
        void finish() override {}
        std::size_t written = 0;
    } failing;
    auto input = pages(4 << 20, 5);
    auto sink = make_gzip_sink(1, failing, {2, 65536});
    auto feed = [&] {
        sink->write(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        sink->finish();
    };
    CHECK_THROWS_AS(feed(), IoError);
}

TEST_CASE("the worker pool hands a task's exception to whoever waits for it", "[parallel]") {
    struct Throwing : WorkerPool::Task {
        void run() override { throw InputError("bad block"); }
    } bad;
    struct Counting : WorkerPool::Task {
        int runs = 0;
        void run() override { ++runs; }
    } good;
    WorkerPool pool(2);
    pool.submit(bad);
    pool.submit(good);
    CHECK_THROWS_AS(pool.wait(bad), InputError);
    pool.wait(good);
    CHECK(good.runs == 1);
    CHECK(pool.done(good));
}
