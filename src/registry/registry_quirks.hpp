// What particular registries need beyond the distribution spec, in one table, so that no other
// file names a registry.
#pragma once

#include <cstdint>
#include <string>

namespace ckimg::registry {

struct RegistryQuirks {
    // Chunk size of chunked uploads unless --chunk-size says otherwise.
    std::uint64_t chunk_size = std::uint64_t{32} << 20;
    // Whether a blob may go up as one streamed PATCH of any length (build --push's default);
    // false for a registry that caps request bodies, which gets chunks instead.
    bool streams = true;
};

// The quirks of the registry at `host` (the API host, e.g. "ghcr.io" or
// "123.dkr.ecr.eu-west-1.amazonaws.com").
RegistryQuirks quirks_of(const std::string& host);

} // namespace ckimg::registry
