// Top level: options in, archive on disk, manifest out.
#pragma once

#include "go_json.hpp"
#include "options.hpp"

namespace ckimg::gen {

// Writes the archive the options describe and returns its manifest: what was written, with
// sizes and SHA-256 digests when a manifest was asked for. A partial file is removed on error.
Json generate(const Options& options);

} // namespace ckimg::gen
