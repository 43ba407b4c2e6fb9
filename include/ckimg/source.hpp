// Where images come from: an OCI layout, an OCI archive, a registry. A source resolves a name to
// the root descriptor (an index or a manifest) and hands out blobs, small ones whole and
// verified, large ones as streams. Formats read images through this interface only.
#pragma once

#include <ckimg/context.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/stream.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ckimg {

// Manifests, indexes and configs larger than this are refused (hostile registries and layouts).
inline constexpr std::size_t kMaxManifestSize = 4 << 20;
// At most this many indexes on the way from the root to a manifest (an index of indexes...).
inline constexpr int kMaxIndexDepth = 4;
// At most this many manifests and indexes in one image (copying it whole keeps them in memory).
inline constexpr std::size_t kMaxImageManifests = 1024;

// open_blob() may be called from several threads at once (parallel copies); the rest from one.
class ImageSource {
public:
    virtual ~ImageSource() = default;
    // The descriptor the source's tag (or digest) names.
    virtual Descriptor root() const = 0;
    // A small blob (manifest, index, config, metadata), read whole, size-limited and verified
    // against its digest; throws InputError on a mismatch.
    virtual std::string read_blob(const Descriptor& blob, std::size_t limit = kMaxManifestSize) = 0;
    // A large blob as a stream. The stream verifies size and digest as it is read and throws
    // InputError when it reaches its end on a mismatch: read it until it returns 0.
    virtual std::unique_ptr<ByteSource> open_blob(const Descriptor& blob) = 0;
    // The file holding `blob` unchanged, for a source that keeps blobs as files (a layout), so
    // that a sink can read ranges of it or share it; empty otherwise.
    virtual std::filesystem::path blob_file(const Descriptor& blob) const {
        (void)blob;
        return {};
    }
    // "oci:DIR:TAG", "registry.example.com/repo:tag"...
    virtual std::string describe() const = 0;
    // Makes the transfers in flight fail soon; callable from any thread (a parallel copy whose
    // one blob failed stops the others).
    virtual void cancel() {}
};

// One image manifest resolved from a root: the manifest (parsed and raw), its descriptor and
// the annotations of the index that led to it (empty when the root is the manifest itself).
struct ResolvedImage {
    Descriptor manifest_descriptor;
    nlohmann::json manifest;
    std::string manifest_bytes;
    Annotations manifest_annotations;
    Annotations index_annotations;
    std::vector<Descriptor> indexes; // those passed through, the root first
    Descriptor config;
    std::vector<Descriptor> layers;
};

bool is_index_media_type(const std::string& media_type);
bool is_image_manifest_media_type(const std::string& media_type);

// A manifest or an index, read (size-limited, digest-verified) and checked: its media type is
// an OCI or Docker (schema 2) manifest or index, the document agrees with it, and every
// descriptor in it is well-formed.
struct ManifestNode {
    Descriptor descriptor;
    std::string bytes;
    nlohmann::json json;
    std::vector<Descriptor> children; // an index's manifests
    std::vector<Descriptor> blobs;    // a manifest's config, then its layers
    bool is_index() const { return is_index_media_type(descriptor.media_type); }
};
ManifestNode read_manifest(ImageSource& source, const Descriptor& descriptor);

// Follows the root (index -> the manifest for `platform`, by default the host's, or the only
// one) to an image manifest; refuses cycles, nesting deeper than kMaxIndexDepth and unknown
// media types (InputError naming the source and the digest).
ResolvedImage resolve_image(ImageSource& source,
                            const std::optional<Platform>& platform = std::nullopt);

// Everything the root reaches, for copying an image whole (every platform of an index).
struct ImageGraph {
    std::vector<ManifestNode> manifests; // each before the indexes that list it; the root last
    std::vector<Descriptor> blobs;       // configs and layers, each once
};
ImageGraph read_image_graph(ImageSource& source);

// Opens "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]" or a registry reference ([docker://]HOST/...).
// A registry is probed and the root manifest fetched here; the context's cancel token stops its
// transfers, then and later.
struct RegistryOptions;
std::unique_ptr<ImageSource> open_image_source(const std::string& name,
                                               const RegistryOptions& registry,
                                               const Context& context = {});

} // namespace ckimg
