#include "registry/registry_quirks.hpp"

#include <string_view>

namespace ckimg::registry {

namespace {

constexpr std::uint64_t MiB = 1 << 20;

struct Entry {
    std::string_view host; // exact, or a suffix when it starts with '.'
    RegistryQuirks quirks;
};

constexpr Entry kTable[] = {
    // GitHub's registry refuses request bodies over 4 MiB: 4 MiB chunks, no streamed PATCH.
    {"ghcr.io", {4 * MiB, false}},
    // ECR wants at least 5 MiB per chunk but the last.
    {".amazonaws.com", {8 * MiB, true}},
};

bool matches(std::string_view pattern, std::string_view host) {
    if (pattern.empty() || pattern.front() != '.') return host == pattern;
    return host.size() > pattern.size() &&
           host.compare(host.size() - pattern.size(), pattern.size(), pattern) == 0;
}

} // namespace

RegistryQuirks quirks_of(const std::string& host) {
    for (const auto& entry : kTable)
        if (matches(entry.host, host)) return entry.quirks;
    return {};
}

} // namespace ckimg::registry
