// The checkpointed container as the engines would have known it: names, IDs, times, image,
// process. Derived once from the options so that every file of the archive agrees with the others.
#pragma once

#include "options.hpp"

#include <cstdint>
#include <string>

namespace ckimg::gen {

// A point in time with nanoseconds, printed like Go's time.RFC3339Nano (UTC, trailing zeros of
// the fraction trimmed) because every engine marshals time.Time that way.
struct Timestamp {
    std::int64_t seconds = 0;
    std::uint32_t nanos = 0;

    std::string rfc3339_nano() const;
    std::int64_t unix_nanos() const { return seconds * 1'000'000'000 + nanos; }
};

struct ImageName {
    std::string requested;  // as written by the user (Podman's RawImageName)
    std::string normalized; // registry/repo:tag, as CRI reports it
    std::string repository; // registry/repo
    std::string id;         // 64 hex: the image ID (config digest) that CRI calls the image ref
    std::string digest;     // "sha256:<64 hex>": the manifest digest

    std::string pinned() const { return repository + "@" + digest; }
};

struct Scenario {
    Engine engine = Engine::Crio;
    std::string container;
    std::string pod;
    std::string pod_namespace;
    std::string pod_uid;
    std::string container_id; // 64 hex
    std::string sandbox_id;   // 64 hex
    std::string layer_id;     // 64 hex: the container's read-write layer
    std::string engine_name;  // the engine's own container name (k8s_..._0 for CRI-O)
    std::string runtime;      // config.dump "runtime"
    ImageName image;
    std::string arch;
    Timestamp pod_created;
    Timestamp created;
    Timestamp started;
    Timestamp checkpointed;
    std::string comm; // name of the checkpointed process
    std::string exe;  // its executable inside the container
    std::uint32_t host_pid = 0;
    std::string pod_ip;
    std::string gateway;
    std::string mac;

    std::string log_path() const; // where the CRI container log lives on the node
};

Scenario make_scenario(const Options& options);

} // namespace ckimg::gen
