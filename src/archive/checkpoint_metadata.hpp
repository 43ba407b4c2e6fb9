// Reading what a checkpoint says about itself from config.dump, spec.dump and the CRIU images.
#pragma once

#include <ckimg/checkpoint.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ckimg {

// Fills the metadata fields of `info` from the parsed dumps (engine, names, image, times).
// `archive` names the input in error messages. Every field is optional except config.dump's
// "name"; a missing or mistyped field is left empty.
void read_checkpoint_metadata(const std::string& archive, CheckpointInfo& info);

// Seconds since the epoch as RFC 3339 UTC ("2026-12-02T00:56:14Z").
std::string rfc3339_seconds(std::int64_t seconds);

// The architecture (OCI name) a CRIU core-<pid>.img records, or "" when it cannot tell.
std::string architecture_from_core_image(std::string_view head);

} // namespace ckimg
