// The container's root file system changes: rootfs-diff.tar (plus deleted.files for CRI-O and
// Podman, whose tar holds only the added and changed files; containerd instead writes its
// read-write layer as a gzip'd OCI layer with a whiteout for the deleted file).
#pragma once

#include "scenario.hpp"

#include <string>

namespace ckimg::gen {

struct RootfsDiff {
    std::string tar;
    std::string deleted_files; // JSON list; empty for containerd
};

RootfsDiff make_rootfs_diff(const Scenario& scenario);

} // namespace ckimg::gen
