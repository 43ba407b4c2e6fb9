// Where an upload reads its bytes back from for a retry: a window of the blob held in memory,
// or a temporary file that holds the whole blob as it was produced.
#pragma once

#include "registry/blob_upload.hpp"

#include <cstdint>
#include <string>

namespace ckimg::registry {

// [base, base + bytes.size()) of the blob, held in memory by the caller.
class BufferReader : public RangeReader {
public:
    BufferReader(const std::string& bytes, std::uint64_t base) : bytes_(bytes), base_(base) {}
    std::size_t read_at(std::uint64_t offset, char* buffer, std::size_t size) override;

private:
    const std::string& bytes_;
    std::uint64_t base_;
};

// A temporary file in $TMPDIR (else /tmp), unlinked when destroyed.
class Spool {
public:
    Spool();
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;
    void write(const char* data, std::size_t size);
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

} // namespace ckimg::registry
