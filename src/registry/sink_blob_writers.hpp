// The blob writers of RegistrySink (build --push), which upload a blob while it is produced.
// Streamed (the default): one PATCH per blob whose body is the compressor's output as it comes,
// as docker and podman push; after a failure the blob is pushed again from a copy on disk (the
// file its BlobReplay names: the layout's blob with -o, the archive; else a spool in $TMPDIR).
// Chunked (--chunk-size, or a registry that caps request bodies): PATCHes of one chunk each, sent
// while the next fills, resumable from memory.
#pragma once

#include "registry/blob_upload.hpp"
#include "registry/registry_client.hpp"

#include <ckimg/sink.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace ckimg::registry {

struct UploadContext {
    RegistrySession& session;
    std::function<void(BlobOutcome, std::uint64_t size)> count; // each finished blob
};

// Whether blobs of this session go up as one streamed PATCH each: unless --chunk-size asked for
// chunks or the registry refuses long request bodies (registry_quirks).
bool streams_blobs(const RegistrySession& session);

std::unique_ptr<BlobWriter> make_streamed_blob_writer(const UploadContext& context,
                                                      BlobReplay replay);
std::unique_ptr<BlobWriter> make_chunked_blob_writer(const UploadContext& context);

} // namespace ckimg::registry
