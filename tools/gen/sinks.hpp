// Byte pipeline of the generator: tar writer -> truncation -> compression -> file. Each stage
// streams, so a multi-gigabyte archive never sits in memory.
#pragma once

#include "options.hpp"
#include "sha256.hpp"

#include <archive.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>

namespace ckimg::gen {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(const unsigned char* data, std::size_t size) = 0;
    // Flushes everything downstream; called once, after the last write.
    virtual void finish() = 0;
};

// The end of the pipeline: a file created with mode 0600 (checkpoints hold process memory, CRI-O
// and Podman write their archives 0600), optionally hashed on the way.
class FileSink final : public ByteSink {
public:
    FileSink(const std::string& path, bool hash);
    ~FileSink() override;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    void write(const unsigned char* data, std::size_t size) override;
    void finish() override;

    std::uint64_t size() const { return size_; }
    const std::string& sha256() const { return digest_; } // empty unless hashing

private:
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::optional<Sha256> hash_;
    std::string digest_;
};

// Collects bytes in memory (small nested archives such as rootfs-diff.tar).
class StringSink final : public ByteSink {
public:
    void write(const unsigned char* data, std::size_t size) override {
        data_.append(reinterpret_cast<const char*>(data), size);
    }
    void finish() override {}
    std::string& data() { return data_; }

private:
    std::string data_;
};

// Counts the bytes going through and, once told so, drops every byte past a given offset: how
// --bad truncated cuts an otherwise valid archive in the middle of a file.
class TruncatingSink final : public ByteSink {
public:
    explicit TruncatingSink(ByteSink& next) : next_(next) {}

    void write(const unsigned char* data, std::size_t size) override;
    void finish() override { next_.finish(); }

    std::uint64_t offset() const { return offset_; }
    void truncate_at(std::uint64_t offset) { limit_ = offset; }

private:
    ByteSink& next_;
    std::uint64_t offset_ = 0;
    std::optional<std::uint64_t> limit_;
};

// Lets libarchive's C callbacks write into a ByteSink without C++ exceptions crossing C frames:
// the exception is parked here and rethrown by check().
struct ArchiveOutput {
    ByteSink* sink = nullptr;
    std::exception_ptr error;

    static la_ssize_t write(struct archive* archive, void* self, const void* buffer, size_t size);
};

struct ArchiveFree {
    void operator()(struct archive* archive) const { archive_write_free(archive); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

// Throws the parked callback exception, or libarchive's error, when `status` is not ARCHIVE_OK.
void check(struct archive* archive, int status, ArchiveOutput& output, const char* what);

// Compresses with libarchive's gzip or zstd filter (a "raw" format archive: no tar headers).
// No gzip timestamp and no block padding, so equal input gives equal output.
class CompressingSink final : public ByteSink {
public:
    CompressingSink(ByteSink& next, Compression compression);
    ~CompressingSink() override;
    CompressingSink(const CompressingSink&) = delete;
    CompressingSink& operator=(const CompressingSink&) = delete;

    void write(const unsigned char* data, std::size_t size) override;
    void finish() override;

private:
    ByteSink& next_;
    ArchiveOutput output_;
    ArchivePtr archive_;
    bool finished_ = false;
};

} // namespace ckimg::gen
