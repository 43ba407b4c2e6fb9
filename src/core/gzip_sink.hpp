// gzip layer compression, pigz-style: the stream is cut into fixed-size blocks that worker
// threads deflate at the same time, each block primed with the 32 KiB of input before it and
// ended on a byte boundary (sync flush), so that the blocks laid end to end form one ordinary
// deflate stream in one gzip member that every reader accepts. The bytes depend only on the input
// and the level, never on the number of threads. Levels 0-3 use ISA-L igzip (several times faster
// than zlib, output about 10% larger than zlib -6); 4-9 use zlib. The header has no file name and
// no mtime.
#pragma once

#include <ckimg/stream.hpp>

#include "core/parallel_pool.hpp"

#include <memory>

namespace ckimg {

// The uncompressed bytes per block: large enough that the per-block costs (dictionary set-up,
// sync marker, Huffman tables) stay well under 1%, small enough to keep every core busy and the
// memory bounded (threads + 2 blocks in flight).
inline constexpr std::size_t kGzipBlockSize = 1 << 20;

std::unique_ptr<ByteSink> make_gzip_sink(int level, ByteSink& next,
                                         const ParallelOptions& options = {});

} // namespace ckimg
