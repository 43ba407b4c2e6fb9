// Where an exported checkpoint archive goes: a file that appears only once complete, or an
// already-open descriptor (standard output, a pipe).
#pragma once

#include <ckimg/context.hpp>
#include <ckimg/stream.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ckimg {

// Writes to a descriptor it does not own, in large blocks; counts the bytes. A cancelled
// `cancel` makes the next write throw Cancelled.
class FdSink : public ByteSink {
public:
    FdSink(int fd, std::string name, const CancelToken* cancel = nullptr);
    using ByteSink::write;
    void write(const std::uint8_t* data, std::size_t size) override;
    void finish() override;
    std::uint64_t bytes() const { return bytes_; }

private:
    void flush();
    void write_all(const std::uint8_t* data, std::size_t size);
    int fd_;
    std::string name_;
    const CancelToken* cancel_;
    std::vector<std::uint8_t> buffer_;
    std::uint64_t bytes_ = 0;
};

// A new file written under a temporary name in its directory (mode 0600: checkpoints hold
// process memory), synced and renamed to `path` by commit(). Destroyed uncommitted, it removes
// the temporary file.
class AtomicFile {
public:
    AtomicFile(std::filesystem::path path, const CancelToken* cancel = nullptr);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    FdSink& sink() { return *sink_; }
    void commit();

private:
    std::filesystem::path path_;
    std::filesystem::path temp_;
    int fd_ = -1;
    std::unique_ptr<FdSink> sink_;
};

} // namespace ckimg
