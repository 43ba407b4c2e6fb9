// Where images go: an OCI layout directory, an OCI archive file, a registry.
#pragma once

#include <ckimg/descriptor.hpp>
#include <ckimg/stream.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace ckimg {

// A blob whose digest is known only once it has been streamed. Destroying it without commit()
// discards what was written.
class BlobWriter : public ByteSink {
public:
    // Stores the finished blob under `digest`, which the caller computed over the bytes written.
    virtual void commit(const Digest& digest) = 0;
    // Instead of write(): the blob is the first `size` bytes of the open file `fd` (named
    // `path`). A destination that can share the file's storage (reflink, hard link) does so
    // rather than copy it; the default streams the bytes through write().
    virtual void write_file(int fd, const std::string& path, std::uint64_t size);

    // The file that holds every byte written so far, until commit(), for a writer that keeps
    // one (a layout's blob under its temporary name); empty otherwise.
    virtual std::filesystem::path stored_path() const { return {}; }
    // Offers a writer of the same blob that keeps a file (see stored_path) and commits after
    // this one: a writer that cannot keep its bytes, such as a streamed upload, reads them back
    // from there after a failure instead of keeping a copy of its own.
    virtual void replay_from(const BlobWriter& sibling) { (void)sibling; }
};

class ImageSink {
public:
    virtual ~ImageSink() = default;
    virtual std::unique_ptr<BlobWriter> create_blob() = 0;
    // Stores a small blob (config, manifest, index) held in memory.
    virtual Descriptor put_blob(const std::string& media_type, std::string_view bytes) = 0;
    // Points `tag` at `root` (a manifest or an index already stored with put_blob).
    virtual void tag(const Descriptor& root, const std::string& tag) = 0;
    // Makes everything durable and visible (for an archive: writes the file).
    virtual void commit() = 0;
    // A human-readable name of the destination, e.g. "oci:./dir:latest".
    virtual std::string describe(const std::string& tag) const = 0;
};

} // namespace ckimg
