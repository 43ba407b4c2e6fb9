// Layers that are the checkpoint archive's own bytes: an uncompressed checkpoint archive already
// is a layer (a tar of the container's files at its root). With `--compression none` its bytes
// become the layer blob without a copy: hashed once (the digest is the diff ID), and the blob
// store shares the file's storage copy-on-write (reflink) where it can, else copies it in the
// kernel (copy_file_range); never a hard link, which a rewrite of the archive would corrupt.
// Compressed, they go through the layer pipeline as they are, not re-written as a tar.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/format.hpp>
#include <ckimg/image.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/sink.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace ckimg {

// The archive's bytes as the layer, when they qualify: a regular file (not standard input),
// uncompressed, every entry named relative to the root without "./" or empty components, of the
// kinds a layer holds (files, directories, symlinks, hard links), without sparse maps, extended
// attributes, ACLs or file flags that the rebuilt layer would drop. nullopt when it does not
// qualify, before the archive is scanned (the caller then builds the layer as usual). Otherwise
// scans the archive (all the usual validation: a hostile entry throws before anything is
// stored) and stores the blob. Throws InputError when the file changes while it is being used.
// `progress` hears of the hashing pass as `label`.
std::optional<Layer> passthrough_layer(CheckpointArchive& archive, ImageSink& sink,
                                       const ProgressCallback& progress, const std::string& label);

// The same for a compressed layer: when the archive qualifies, its bytes, validated as above,
// stream into a layer pipeline from begin_layer() (hash, compress, store) rather than being read
// entry by entry and written out again as a tar; the layer holds exactly the archive's bytes, as
// with --compression none, so its diff ID is the archive's digest whatever the compression.
std::optional<Layer>
passthrough_compressed(CheckpointArchive& archive,
                       const std::function<std::unique_ptr<LayerFactory::Stream>()>& begin_layer);

} // namespace ckimg
