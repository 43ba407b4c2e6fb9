// `ckimg build`: checkpoint archive -> format -> image sink.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/compression.hpp>
#include <ckimg/context.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/format.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/registry.hpp>

#include <functional>
#include <optional>
#include <string>

namespace ckimg {

struct BuildOptions {
    std::string archive;     // path or "-"
    std::string destination; // oci:DIR[:REF] / oci-archive:FILE[:REF]; empty: from the name
    std::string tag;         // --tag, overrides the destination's tag
    std::string format = "crio";
    Compression compression = Compression::gzip;
    std::optional<int> level;
    FormatOptions format_options;
    // --encryption-key / --encrypt-layer: layers encrypted as ocicrypt does, in the same pass.
    EncryptionOptions encryption;
    // --push: also (or, without a destination, only) upload to this registry reference, while
    // the layer is produced.
    std::optional<Reference> push;
    PushOptions push_options;
    // --world-readable: layouts 0755/0644 and archives 0644 instead of 0700/0600 (checkpoints
    // hold process memory, secrets included).
    bool world_readable = false;
    // --max-size: refuse archives whose files add up to more (0: no limit).
    std::uint64_t max_size = 0;
};

struct BuildResult {
    std::string format;
    std::string reference; // where the tag lives, e.g. oci:./counter-checkpoint:latest
    Descriptor root;       // what the tag points at (the index)
    Descriptor manifest;
    ImagePlan plan;
    CheckpointInfo info;
    std::optional<PushResult> push;
};

// The context's progress gets the layers' uncompressed bytes as they go through the pipeline
// ("layer 1", ...; total 0: not known in advance) and, with --push, the upload's; its cancel
// token stops the build, which cleans up and throws Cancelled.
BuildResult build_image(const BuildOptions& options, const Context& context = {});
// The same from an archive already opened (a stream, say: convert's); options.archive unused.
BuildResult build_image(CheckpointArchive& archive, const BuildOptions& options,
                        const Context& context = {});
// Builds into an arbitrary sink (used by build --push and by tests): every blob, the config,
// the manifest and the index. It tags nothing and does not commit the sink: the caller does,
// as each sink of a build needs its own tags.
BuildResult build_into(CheckpointArchive& archive, ImageSink& sink, const BuildOptions& options,
                       const Context& context = {});

nlohmann::json to_json(const BuildResult& result);

} // namespace ckimg
