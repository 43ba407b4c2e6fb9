// BytePipe: what the producer writes comes out of read() in order and whole, whatever the piece
// sizes on either side; the producer waits when the pipe is full; the consumer's abandon and the
// producer's cancel release the other side instead of leaving it blocked.
#include "core/byte_pipe.hpp"

#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace ckimg;

namespace {

std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    return out;
}

const std::uint8_t* bytes(const std::string& s) {
    return reinterpret_cast<const std::uint8_t*>(s.data());
}

std::string drain(BytePipe& pipe, std::size_t piece) {
    std::string out;
    std::string buffer(piece, '\0');
    while (auto n = pipe.read(reinterpret_cast<std::uint8_t*>(buffer.data()), buffer.size()))
        out.append(buffer, 0, n);
    return out;
}

} // namespace

TEST_CASE("byte pipe: everything written is read in order, across threads and piece sizes") {
    auto [block, write_piece, read_piece] = GENERATE(table<std::size_t, std::size_t, std::size_t>(
        {{16, 5, 3}, {16, 100, 7}, {4096, 1, 4096}, {1 << 20, 65536, 524288}}));
    auto data = pattern(block < 1024 ? 65536 + 17 : 3 * 1048576 + 17);
    BytePipe pipe(block, 3);
    bool all_accepted = true; // Catch2's assertions are not for other threads
    std::thread producer([&] {
        for (std::size_t at = 0; at < data.size(); at += write_piece)
            all_accepted &= pipe.write(bytes(data) + at, std::min(write_piece, data.size() - at));
        pipe.close();
    });
    auto got = drain(pipe, read_piece);
    producer.join();
    REQUIRE(all_accepted);
    REQUIRE(got.size() == data.size());
    REQUIRE(got == data);
}

TEST_CASE("byte pipe: the producer waits while the pipe is full") {
    BytePipe pipe(1024, 2);
    auto data = pattern(1024);
    std::atomic<int> written{0};
    std::thread producer([&] {
        for (int i = 0; i < 4; ++i) {
            pipe.write(bytes(data), data.size());
            ++written;
        }
        pipe.close();
    });
    // Two blocks fit; the third is held by the producer, which then waits for room. (A slow
    // machine only makes the wait shorter to observe, never the check wrong.)
    for (int i = 0; i < 1000 && written.load() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(written.load() == 2);
    auto got = drain(pipe, 300);
    producer.join();
    CHECK(written.load() == 4);
    CHECK(got.size() == 4 * data.size());
}

TEST_CASE("byte pipe: an abandoned pipe turns writes into no-ops that say so") {
    BytePipe pipe(64, 1);
    auto data = pattern(1000);
    std::size_t first_read = 0; // Catch2's assertions are not for other threads
    std::thread consumer([&] {
        std::uint8_t buffer[10];
        first_read = pipe.read(buffer, sizeof buffer);
        pipe.abandon();
    });
    bool accepted = true;
    for (int i = 0; i < 100 && accepted; ++i)
        accepted = pipe.write(bytes(data), data.size());
    consumer.join();
    CHECK(first_read == 10);
    CHECK_FALSE(accepted);
    CHECK_FALSE(pipe.write(bytes(data), 1));
}

TEST_CASE("byte pipe: cancel wakes a waiting reader with Cancelled") {
    BytePipe pipe(64, 1);
    std::atomic<bool> threw{false};
    std::thread consumer([&] {
        std::uint8_t buffer[16];
        try {
            pipe.read(buffer, sizeof buffer);
        } catch (const Cancelled&) {
            threw = true;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pipe.cancel();
    consumer.join();
    CHECK(threw.load());
}

TEST_CASE("byte pipe: a producer's failure reaches the reader as its own error") {
    BytePipe pipe(64, 2);
    auto data = pattern(10);
    REQUIRE(pipe.write(bytes(data), data.size()));
    pipe.fail(std::make_exception_ptr(RegistryError("the download broke", 502)));
    std::uint8_t buffer[16];
    try {
        pipe.read(buffer, sizeof buffer);
        FAIL("read() returned instead of throwing");
    } catch (const RegistryError& error) {
        CHECK(error.status() == 502);
    }
}

TEST_CASE("byte pipe: close without data ends the stream at once") {
    BytePipe pipe(64, 1);
    pipe.close();
    std::uint8_t buffer[8];
    CHECK(pipe.read(buffer, sizeof buffer) == 0);
    CHECK(pipe.read(buffer, sizeof buffer) == 0);
}

TEST_CASE("byte pipe: read_block hands over whole blocks in order, and their buffers come back") {
    auto data = pattern(10 * 1000 + 7);
    BytePipe pipe(1000, 2);
    bool all_accepted = true; // Catch2's assertions are not for other threads
    std::thread producer([&] {
        for (std::size_t at = 0; at < data.size(); at += 333)
            all_accepted &=
                pipe.write(bytes(data) + at, std::min<std::size_t>(333, data.size() - at));
        pipe.close();
    });
    std::string got;
    std::vector<std::uint8_t> block;
    std::size_t blocks = 0;
    while (pipe.read_block(block)) {
        got.append(reinterpret_cast<const char*>(block.data()), block.size());
        ++blocks;
    }
    producer.join();
    CHECK(all_accepted);
    CHECK(got == data);
    CHECK(blocks == 11); // ten full blocks of 1000 and the last 7 bytes
}
