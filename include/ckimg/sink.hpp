// Where images go: an OCI layout directory, an OCI archive file, a registry.
#pragma once

#include <ckimg/descriptor.hpp>
#include <ckimg/stream.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ckimg {

// A blob whose digest is known only once it has been streamed. Destroying it without commit()
// discards what was written.
class BlobWriter : public ByteSink {
public:
    // Stores the finished blob under `digest`, which the caller computed over the bytes written.
    virtual void commit(const Digest& digest) = 0;
};

// How a writer that cannot keep what it sent (a streamed upload) reads a blob again after its
// stream failed, given by whoever produces the blob: the file that holds the blob's bytes by the
// time the writer commits (the archive itself, or the blob another sink of the same build has
// committed), or an empty path when there is none, and the writer then keeps a copy of its own.
using BlobReplay = std::function<std::filesystem::path(const Digest& digest)>;

// A blob a copy hands to a sink, its digest and size known in advance: a way to read it, as often
// as the sink needs (a retry starts again), and the file that holds it when the source keeps one
// (a layout), which a sink may read ranges from or share instead of streaming it.
struct BlobInput {
    Descriptor descriptor;
    std::function<std::unique_ptr<ByteSource>()> open;
    std::filesystem::path file; // empty when the source has no file for it
};
// Bytes of one blob written so far (may go back when an upload resumes).
using BlobProgress = std::function<void(std::uint64_t done)>;

// What try_reuse_blob found: the sink has the blob, got it without its bytes (a registry's
// cross-repository mount), or needs it written.
enum class BlobReuse { absent, present, mounted };

// The calls a copy makes (try_reuse_blob, write_blob, put_blob) may come from several threads at
// once; tag() and commit() come from one, after every blob and manifest is stored.
class ImageSink {
public:
    virtual ~ImageSink() = default;
    // A blob whose digest is known only once it has been streamed (a layer being built).
    virtual std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) = 0;
    // The file holding a stored blob, for a sink that keeps blobs as files (a layout); empty
    // otherwise or when the blob is not there.
    virtual std::filesystem::path blob_file(const Digest& digest) const {
        (void)digest;
        return {};
    }
    // Whether the sink has `blob` already or can get it without its bytes; `related` names images
    // ("host/repo[:tag]") that may hold it, such as the copy's source and its base images.
    virtual BlobReuse try_reuse_blob(const Descriptor& blob,
                                     const std::vector<std::string>& related);
    // Stores a blob whose digest and size are known (the copy's step after try_reuse_blob). The
    // default streams blob.open() through create_blob(); the stream verifies what it reads.
    virtual void write_blob(const BlobInput& blob, const BlobProgress& progress);
    // Stores a small blob (config, manifest, index) held in memory.
    virtual Descriptor put_blob(const std::string& media_type, std::string_view bytes) = 0;
    // Points `tag` at `root` (a manifest or an index already stored with put_blob).
    virtual void tag(const Descriptor& root, const std::string& tag) = 0;
    // Makes the transfers in flight fail soon; callable from any thread (a copy whose one blob
    // failed stops the others).
    virtual void cancel() {}
    // Makes everything durable and visible (for an archive: writes the file).
    virtual void commit() = 0;
    // A human-readable name of the destination, e.g. "oci:./dir:latest".
    virtual std::string describe(const std::string& tag) const = 0;
};

} // namespace ckimg
