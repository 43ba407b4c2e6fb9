// Reading checkpoint images back through the formats' read side: `ckimg export` turns an image
// (in any format, from a layout, an OCI archive or a registry) back into the kubelet-style
// checkpoint archive; `ckimg convert` rebuilds it in another format without an intermediate
// file.
#pragma once

#include <ckimg/build.hpp>
#include <ckimg/context.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/format.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include <atomic>
#include <cstdint>
#include <string>

namespace ckimg {

// The format an image is in; throws InputError "<source>: not a checkpoint image ..." when no
// format recognises its manifest.
const Format& checkpoint_format(const ImageSource& source, const ResolvedImage& image);

struct ExportOptions {
    std::string source; // oci:DIR[:REF], oci-archive:FILE[:REF] or a registry reference
    std::string output; // the archive to write; "-" for standard output; a FIFO is written into
    // For a FIFO output: how many readers first get only the archive's leading entries up to
    // config.dump and spec.dump, as a complete tar, before the next reader gets it whole (2 for
    // `podman container restore --import FIFO`, which reads the configuration twice first).
    int config_readers = 0;
    RegistryOptions registry;
    DecryptionOptions decryption; // --decryption-key, for encrypted layers
    std::string verify_key;       // --verify-key: as PullOptions::verify_key
};

struct ExportResult {
    std::string source; // as the source describes itself
    std::string output;
    std::string format;
    Descriptor manifest;
    std::uint64_t bytes = 0; // size of the archive written
};

// Writes the archive (an uncompressed tar, mode 0600: it holds process memory) under a
// temporary name beside `output` and renames it into place once complete, so that a failure
// leaves nothing half-written. An `output` that is a FIFO is written into as the image streams
// (each reader of it gets a FIFO of its own), so that a restore reads while it downloads.
ExportResult export_checkpoint(const ExportOptions& options, const Context& context = {});
nlohmann::json to_json(const ExportResult& result);

struct ConvertOptions {
    std::string source;           // as ExportOptions::source
    RegistryOptions registry;     // to read the source
    DecryptionOptions decryption; // --decryption-key, for an encrypted source
    BuildOptions build;           // where and how to write (build.archive is not used)
};

struct ConvertResult {
    std::string source;        // as the source describes itself
    std::string source_format; // the format detected
    BuildResult build;
};

// Streams the source's archive out of its format and into build_image, through a pipe: the
// image is read once and no archive is stored.
ConvertResult convert_image(const ConvertOptions& options, const Context& context = {});
nlohmann::json to_json(const ConvertResult& result);

} // namespace ckimg
