// Memory page contents for checkpoint/pages-*.img: a stream that looks like a real process's
// memory to a compressor (zero pages, text, incompressible data), generated on the fly so that
// gigabytes never sit in memory.
#pragma once

#include "prng.hpp"

#include <cstddef>
#include <cstdint>

namespace ckimg::gen {

inline constexpr std::size_t kPageSize = 4096;

class PageGenerator {
public:
    explicit PageGenerator(std::uint64_t seed) : rng_(seed) {}

    // Writes the next `page_count` pages of the stream to `out` (page_count * kPageSize bytes).
    // The stream depends only on the seed, never on how it is cut into calls.
    void fill(unsigned char* out, std::size_t page_count);

private:
    void text_page(unsigned char* page);
    void random_page(unsigned char* page);

    Xoshiro256 rng_;
};

} // namespace ckimg::gen
