#include "options.hpp"

#include <array>
#include <cctype>
#include <limits>

namespace ckimg::gen {

std::string_view to_string(Engine engine) {
    switch (engine) {
    case Engine::Crio:
        return "crio";
    case Engine::Containerd:
        return "containerd";
    case Engine::Podman:
        return "podman";
    }
    return "unknown";
}

std::string_view to_string(Compression compression) {
    switch (compression) {
    case Compression::None:
        return "none";
    case Compression::Gzip:
        return "gzip";
    case Compression::Zstd:
        return "zstd";
    }
    return "unknown";
}

namespace {

// Multiplier for a size suffix; 0 when the suffix is unknown.
std::uint64_t suffix_multiplier(std::string_view suffix) {
    std::string lower;
    for (const char c : suffix) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower.empty() || lower == "b") {
        return 1;
    }
    constexpr std::array<std::string_view, 3> units{"k", "m", "g"};
    std::uint64_t multiplier = 1;
    for (const auto unit : units) {
        multiplier *= 1024;
        if (lower == unit || lower == std::string(unit) + "b" ||
            lower == std::string(unit) + "ib") {
            return multiplier;
        }
    }
    return 0;
}

} // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::size_t digits = 0;
    std::uint64_t value = 0;
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
        const auto digit = static_cast<std::uint64_t>(text[digits] - '0');
        if (value > (max - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
        ++digits;
    }
    const std::uint64_t multiplier = suffix_multiplier(text.substr(digits));
    if (digits == 0 || multiplier == 0 || (value != 0 && value > max / multiplier)) {
        return std::nullopt;
    }
    return value * multiplier;
}

bool is_known_arch(std::string_view arch) {
    constexpr std::array<std::string_view, 7> known{"amd64", "arm64", "arm",    "ppc64le",
                                                    "s390x", "386",   "riscv64"};
    for (const auto name : known) {
        if (name == arch) {
            return true;
        }
    }
    return false;
}

} // namespace ckimg::gen
