// Blobs stored as files: written to a file without a name in the blob directory (O_TMPFILE; a
// temporary name where the filesystem has none) and named once complete, so a reader never sees
// a partial blob and no signal leaves one behind.
#pragma once

#include <ckimg/sink.hpp>

#include <filesystem>

namespace ckimg {

// A writer that can take a whole file as the blob instead of its bytes, sharing the storage.
class FileBlobWriter : public BlobWriter {
public:
    // The blob is the first `size` bytes of the open file `fd` (named `path`).
    virtual void write_file(int fd, const std::string& path, std::uint64_t size) = 0;
};

// Makes the first `size` bytes of `fd` the blob: shared with a FileBlobWriter, else streamed
// through write().
void write_file_into(BlobWriter& writer, int fd, const std::string& path, std::uint64_t size);

class BlobFileWriter : public FileBlobWriter {
public:
    BlobFileWriter(std::filesystem::path blob_dir, bool world_readable);
    ~BlobFileWriter() override;
    BlobFileWriter(const BlobFileWriter&) = delete;
    BlobFileWriter& operator=(const BlobFileWriter&) = delete;

    void write(const std::uint8_t* data, std::size_t size) override;
    void finish() override;
    void commit(const Digest& digest) override;
    // Reflink, else hard link (same filesystem, owned by us, no wider permissions than the
    // blob's), else an in-kernel copy.
    void write_file(int fd, const std::string& path, std::uint64_t size) override;

private:
    std::filesystem::path blob_dir_;
    std::filesystem::path temp_path_;
    int fd_ = -1;
    bool unnamed_ = false; // O_TMPFILE: temp_path_ is /proc/self/fd/N
    bool finished_ = false;
    bool committed_ = false;
};

// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           bool world_readable);

} // namespace ckimg
