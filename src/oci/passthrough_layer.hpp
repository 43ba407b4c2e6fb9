// `--compression none` without a copy: an uncompressed checkpoint archive already is a layer (a
// tar of the container's files at its root), so its own bytes become the layer blob. They are
// hashed once (the digest is the diff ID), and the blob store shares the file's storage (reflink,
// else hard link) where it can, copying it only where it cannot.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/image.hpp>
#include <ckimg/sink.hpp>

#include <optional>

namespace ckimg {

// The archive's bytes as the layer, when they qualify: a regular file (not standard input),
// uncompressed, every entry named relative to the root without "./" or empty components, of the
// kinds a layer holds (files, directories, symlinks, hard links), without sparse maps, extended
// attributes, ACLs or file flags that the rebuilt layer would drop. nullopt when it does not
// qualify, before the archive is scanned (the caller then builds the layer as usual). Otherwise
// scans the archive (all the usual validation: a hostile entry throws before anything is
// stored) and stores the blob. Throws InputError when the file changes while it is being used.
std::optional<Layer> passthrough_layer(CheckpointArchive& archive, ImageSink& sink);

} // namespace ckimg
