// The bytes of a checkpoint archive as libarchive reads them: the file (or standard input) and,
// when its content is gzip or zstd, ckimg's own decompressor. libarchive 3.6's gzip filter never
// checks the CRC-32 and length that end each gzip member, so a corrupted archive could become an
// image of corrupted memory pages; zlib checks them here. What follows the end-of-archive marker
// is read too (at most 1 MiB: tar record padding), so that the last trailer is checked.
#pragma once

#include <ckimg/context.hpp>
#include <ckimg/stream.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

struct archive;

namespace ckimg {

class ArchiveInput {
public:
    // Opens `path` ("-" is standard input); throws IoError. A read from a pipe that waits for
    // data throws Error("interrupted") once `cancel` (when not null) becomes true.
    explicit ArchiveInput(const std::string& path, const CancelToken* cancel = nullptr);
    // Reads `source`, a stream (never seeked) whose own errors name it.
    explicit ArchiveInput(std::unique_ptr<ByteSource> source, const CancelToken* cancel = nullptr);
    ~ArchiveInput();
    ArchiveInput(const ArchiveInput&) = delete;
    ArchiveInput& operator=(const ArchiveInput&) = delete;

    // archive_read_open2 on `reader` with this input's callbacks; returns its status.
    int open(archive* reader);
    // When a libarchive call failed because reading failed: rethrows that error (an InputError
    // becomes "<where>: truncated or corrupt archive (<why>)"). Does nothing otherwise.
    void rethrow_read_error(const std::string& where) const;
    // Called at the end of the archive: reads the rest of the input, refusing more than 1 MiB.
    void finish(const std::string& where);

private:
    struct Callbacks;
    void detect_compression(const unsigned char* magic, std::size_t got);
    int fd_ = -1;
    bool owned_ = false;
    bool seekable_ = false;
    std::uint64_t size_ = 0;
    std::unique_ptr<ByteSource> raw_;
    std::unique_ptr<ByteSource> decompressed_;
    std::vector<std::uint8_t> buffer_;
    std::exception_ptr error_;
    const CancelToken* cancel_;
};

} // namespace ckimg
