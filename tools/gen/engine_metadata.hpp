// config.dump and the engine-specific side files of a checkpoint archive, written the way
// CRI-O (internal/lib/checkpoint.go), containerd
// (internal/cri/server/container_checkpoint_linux.go) and Podman
// (libpod/container_internal_common.go) write them.
#pragma once

#include "scenario.hpp"

#include <string>

namespace ckimg::gen {

// CRI-O and containerd: checkpointctl's ContainerConfig (CRI-O indented, containerd compact).
// Podman: its whole internal container config (spec, rootfsImageID, RawImageName, no
// checkpointedTime).
std::string config_dump(const Scenario& scenario);

// The container's log in CRI format ("<time> stdout F <line>"): CRI-O's
// io.kubernetes.cri-o.LogPath, containerd's container.log, Podman's ctr.log.
std::string container_log(const Scenario& scenario);

// CRI-O: the bind mounts with their file types, so a restore can recreate missing sources.
std::string crio_bind_mounts(const Scenario& scenario);

// containerd: its internal container status file ("status") and the CRI ContainerStatus
// ("status.dump", required by containerd's restore).
std::string containerd_status(const Scenario& scenario);
std::string containerd_status_dump(const Scenario& scenario);

// Podman: the network status per network, to restore the same IP and MAC.
std::string podman_network_status(const Scenario& scenario);

} // namespace ckimg::gen
