// Layer compression: gzip (ISA-L igzip for speed, zlib for the higher levels), zstd, or none.
// Every compressor is deterministic: the same input and level give the same bytes.
#pragma once

#include <ckimg/stream.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ckimg {

enum class Compression { none, gzip, zstd };

Compression parse_compression(const std::string& name);
std::string to_string(Compression compression);
// Media types and their compression: <ckimg/media_types.hpp>.

// A sink that compresses what it is given into `next`. `level` nullopt means the default.
// finish() ends the compressed stream and finishes `next`.
std::unique_ptr<ByteSink> make_compressor(Compression compression, std::optional<int> level,
                                          ByteSink& next);
// A source that decompresses `input` (for reading layers back).
std::unique_ptr<ByteSource> make_decompressor(Compression compression, ByteSource& input);

} // namespace ckimg
