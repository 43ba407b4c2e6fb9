// gzip compressors. Levels 0-3 use ISA-L igzip (several times faster than zlib, output about 10%
// larger than zlib -6); 4-9 use zlib for the smallest output. Both write a header without file
// name or mtime, so the bytes depend only on the input and the level.
#pragma once

#include <ckimg/stream.hpp>

#include <memory>

namespace ckimg {

std::unique_ptr<ByteSink> make_gzip_sink(int level, ByteSink& next);

} // namespace ckimg
