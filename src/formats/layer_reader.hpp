// Reading layers back: a layer blob streamed from an image source, decompressed by its media
// type, read as a tar whose entries pass the same checks as a checkpoint archive's. The tar
// may be hostile; nothing it names is trusted until EntryGuard has admitted it.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/compression.hpp>
#include <ckimg/source.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ckimg {

// The compression a tar layer's media type states: the OCI layer types, and any vendor type
// ending in ".tar", ".tar+gzip" or ".tar+zstd". Throws InputError for anything else.
Compression tar_layer_compression(const std::string& media_type, const std::string& where);

class LayerReader {
public:
    // Opens `layer` from `source`. `diff_id`, when given, is checked against the digest of the
    // uncompressed tar once it has been read to its end. With `pass_through`, every byte of the
    // uncompressed tar goes there as it is, once the entry it belongs to has been admitted (an
    // entry's header and data are held back until its header passes the checks): after
    // finish(), it has the layer's tar byte for byte.
    LayerReader(ImageSource& source, const Descriptor& layer, std::optional<Digest> diff_id,
                std::string where, ByteSink* pass_through = nullptr);
    ~LayerReader();
    LayerReader(const LayerReader&) = delete;
    LayerReader& operator=(const LayerReader&) = delete;

    // The next admitted entry, or nullptr at the end of the tar. A file's data streams from the
    // layer through `data` and is valid until the next call; what is left unread is skipped.
    ArchiveEntry* next();
    // Reads the blob to its end, so that its digest and diff ID are checked (throws InputError
    // on a mismatch). Call after next() has returned nullptr.
    void finish();

    const std::string& where() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The read side of the single-layer formats (crio, podman): the image's one layer holds the
// archive's entries at its root, in archive order. The layer's uncompressed tar is copied into
// `archive` byte for byte (every entry checked on the way), so a layer that is the checkpoint
// archive itself (see passthrough_layer.hpp) gives the archive back as it was.
void copy_single_layer(ImageSource& source, const ResolvedImage& image, ByteSink& archive);

// "layer sha256:0123456789ab of <source>", for error messages.
std::string describe_layer(const ImageSource& source, const Descriptor& layer);

} // namespace ckimg
