// Deterministic pseudo-random numbers for the generator. Fully specified algorithms (not
// std::random_device, not std:: distributions) so one seed gives the same bytes everywhere.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ckimg::gen {

// SplitMix64 turns one seed into well-mixed words; xoshiro's authors recommend it for seeding.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t state_;
};

// xoshiro256**: fast enough to fill gigabytes of "random" memory pages in seconds.
class Xoshiro256 {
public:
    explicit Xoshiro256(std::uint64_t seed) {
        SplitMix64 mixer(seed);
        for (auto& word : state_) {
            word = mixer.next();
        }
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // A number in [0, bound) by multiply-shift; the bias is negligible for the small bounds used.
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> state_{};
};

// An independent seed per purpose, so a new consumer of randomness never shifts the bytes that
// another consumer (e.g. the memory pages) produces for the same --seed.
inline std::uint64_t derive_seed(std::uint64_t seed, std::string_view purpose) {
    std::uint64_t hash = 0xcbf29ce484222325ULL; // FNV-1a
    for (const char c : purpose) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return SplitMix64(seed ^ hash).next();
}

} // namespace ckimg::gen
