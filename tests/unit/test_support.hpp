// Helpers shared by the unit tests: a private temporary directory and in-memory byte streams.
#pragma once

#include <ckimg/stream.hpp>

#include "core/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

namespace ckimg::test {

// A fresh directory under TMPDIR, removed with everything in it when the test ends (the
// library's TempDir, which throws IoError, and so fails the test, when it cannot be made).
struct TempDir {
    ckimg::TempDir dir{"ckimg-unit"};
    const std::filesystem::path path = dir.path();
};

// Collects what is written; counts finish() calls (a stream must be finished exactly once).
class StringSink : public ByteSink {
public:
    using ByteSink::write;
    void write(const std::uint8_t* data, std::size_t size) override {
        bytes.append(reinterpret_cast<const char*>(data), size);
    }
    void finish() override { ++finished; }
    std::string bytes;
    int finished = 0;
};

class StringSource : public ByteSource {
public:
    explicit StringSource(std::string bytes) : bytes_(std::move(bytes)) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        auto n = std::min(capacity, bytes_.size() - offset_);
        std::copy_n(bytes_.data() + offset_, n, buffer);
        offset_ += n;
        return n;
    }

private:
    std::string bytes_;
    std::size_t offset_ = 0;
};

} // namespace ckimg::test
