#include <ckimg/compression.hpp>
#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "core/pipeline.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <cstring>
#include <random>

using namespace ckimg;

namespace {

using ckimg::test::StringSink;
using ckimg::test::StringSource;

std::string sample_input() {
    std::string text;
    std::mt19937 random(42);
    for (int i = 0; i < 3000; ++i)
        text += "line " + std::to_string(i) + " of some text\n";
    for (int i = 0; i < 200000; ++i)
        text += static_cast<char>(random() & 0xff);
    text += std::string(300000, '\0');
    return text;
}

std::string compress(Compression compression, std::optional<int> level, const std::string& in) {
    StringSink out;
    auto sink = make_compressor(compression, level, out);
    sink->write(in);
    sink->finish();
    REQUIRE(out.finished);
    return out.bytes;
}

std::string decompress(Compression compression, const std::string& in) {
    StringSource source(in);
    auto reader = make_decompressor(compression, source);
    std::string out;
    std::uint8_t buffer[7777];
    while (auto n = reader->read(buffer, sizeof buffer))
        out.append(reinterpret_cast<char*>(buffer), n);
    return out;
}

} // namespace

TEST_CASE("every compression round-trips and is deterministic", "[compression]") {
    auto input = sample_input();
    auto [compression, level] =
        GENERATE(table<Compression, std::optional<int>>({{Compression::gzip, std::nullopt},
                                                         {Compression::gzip, 0},
                                                         {Compression::gzip, 3},
                                                         {Compression::gzip, 6},
                                                         {Compression::zstd, std::nullopt},
                                                         {Compression::zstd, 1},
                                                         {Compression::none, std::nullopt}}));
    auto once = compress(compression, level, input);
    CHECK(once == compress(compression, level, input));
    CHECK(decompress(compression, once) == input);
    if (compression != Compression::none) CHECK(once.size() < input.size());
}

TEST_CASE("gzip header carries no mtime or name", "[compression]") {
    auto gz = compress(Compression::gzip, std::nullopt, "hello");
    REQUIRE(gz.size() > 10);
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    CHECK((gz[3] & 0x08) == 0); // FNAME
    CHECK(gz.substr(4, 4) == std::string(4, '\0'));
}

TEST_CASE("corrupt and truncated compressed data is an input error", "[compression]") {
    auto gz = compress(Compression::gzip, std::nullopt, sample_input());
    CHECK_THROWS_AS(decompress(Compression::gzip, gz.substr(0, gz.size() / 2)), InputError);
    auto zst = compress(Compression::zstd, std::nullopt, sample_input());
    CHECK_THROWS_AS(decompress(Compression::zstd, zst.substr(0, zst.size() / 2)), InputError);
    CHECK_THROWS_AS(decompress(Compression::zstd, "not zstd at all"), InputError);
}

TEST_CASE("levels out of range are usage errors", "[compression]") {
    StringSink out;
    CHECK_THROWS_AS(make_compressor(Compression::gzip, 10, out), UsageError);
    CHECK_THROWS_AS(make_compressor(Compression::zstd, 0, out), UsageError);
    CHECK_THROWS_AS(parse_compression("lz4"), UsageError);
}

TEST_CASE("the threaded stage delivers every byte in order and finishes once", "[pipeline]") {
    auto input = sample_input();
    StringSink out;
    {
        HashingSink hashed(out);
        ThreadedSink threaded(hashed, 4096, 3);
        for (std::size_t i = 0; i < input.size(); i += 1000)
            threaded.write(reinterpret_cast<const std::uint8_t*>(input.data()) + i,
                           std::min<std::size_t>(1000, input.size() - i));
        threaded.finish();
        CHECK(hashed.digest() == sha256_of(input));
        CHECK(hashed.size() == input.size());
    }
    CHECK(out.bytes == input);
    CHECK(out.finished == 1);
}

TEST_CASE("an error in the worker stage reaches the writer", "[pipeline]") {
    struct FailingSink : ByteSink {
        void write(const std::uint8_t*, std::size_t) override { throw IoError("disk full"); }
        void finish() override {}
    } failing;
    ThreadedSink threaded(failing, 16, 1);
    std::string data(1000, 'x');
    CHECK_THROWS_WITH(
        [&] {
            for (int i = 0; i < 100; ++i)
                threaded.write(data);
            threaded.finish();
        }(),
        "disk full");
}

TEST_CASE("one rule maps every layer media type to its compression", "[compression][media_type]") {
    CHECK(compression_of_media_type(media_type::oci_layer_gzip) == Compression::gzip);
    CHECK(compression_of_media_type(media_type::oci_layer_zstd) == Compression::zstd);
    CHECK(compression_of_media_type(media_type::oci_layer_tar) == Compression::none);
    CHECK(compression_of_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip") ==
          Compression::gzip);
    CHECK(compression_of_media_type("application/vnd.oci.image.checkpoint.memory.v1.tar+zstd") ==
          Compression::zstd);
    CHECK(compression_of_media_type(encrypted_media_type(media_type::oci_layer_gzip)) ==
          Compression::gzip);
    CHECK_FALSE(compression_of_media_type(media_type::oci_config));
    CHECK_FALSE(compression_of_media_type("application/vnd.example+gzip")); // not a tar
    for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        CHECK(compression_of_media_type(layer_media_type(compression)) == compression);
        CHECK(compression_of_media_type(
                  tar_media_type("application/x.pages.v1.tar", compression)) == compression);
    }
    CHECK(decrypted_media_type(encrypted_media_type("a.tar")) == "a.tar");
    CHECK(encrypted_media_type(encrypted_media_type("a.tar")) == "a.tar+encrypted");
}

TEST_CASE("a threaded stage dropped without finish does not finish its next stage", "[pipeline]") {
    StringSink out;
    {
        ThreadedSink threaded(out, 16, 2);
        threaded.write(std::string(100, 'x'));
    }
    CHECK(out.finished == 0);
}
