// The container's OCI runtime spec (config.json) as each engine would have generated it; the
// archive's spec.dump. The annotations are what tools read to find the engine and the names.
#pragma once

#include "go_json.hpp"
#include "scenario.hpp"

#include <string>
#include <vector>

namespace ckimg::gen {

struct BindMount {
    std::string destination;
    std::string source;
    bool directory = false;
    bool read_only = false;
};

// The annotations the kubelet passes on every container (CRI-O keeps them verbatim too).
nlohmann::json kubelet_annotations(const Scenario& scenario);

// The labels the kubelet puts on every container.
nlohmann::json kubernetes_labels(const Scenario& scenario);

// The engine's bind mounts (hosts, resolv.conf, termination log, service account token...).
std::vector<BindMount> bind_mounts(const Scenario& scenario);

Json runtime_spec(const Scenario& scenario);

// spec.dump bytes: indented for CRI-O and Podman (checkpointctl's WriteJSONFile), compact for
// containerd (the spec blob of its checkpoint, json.Marshal).
std::string spec_dump(const Scenario& scenario);

} // namespace ckimg::gen
