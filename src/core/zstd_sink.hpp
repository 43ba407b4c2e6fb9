// zstd layer compression on libzstd's own worker threads. With one worker or more, libzstd cuts
// the stream into jobs of a fixed size (ZSTD_c_jobSize, set here rather than left to the
// library's default) and the frame is the same whatever the number of workers; the single-threaded
// mode (0 workers) would give other bytes, so it is never used where threads are available.
#pragma once

#include <ckimg/stream.hpp>

#include "core/parallel_pool.hpp"

#include <memory>

namespace ckimg {

// Uncompressed bytes per zstd job: 4x the 512 KiB minimum, so the overlap each job reloads from
// the one before costs little ratio, while 2 jobs per worker in flight keep the memory small.
inline constexpr std::size_t kZstdJobSize = 2 << 20;

std::unique_ptr<ByteSink> make_zstd_sink(int level, ByteSink& next,
                                         const ParallelOptions& options = {});

} // namespace ckimg
