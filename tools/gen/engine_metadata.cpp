#include "engine_metadata.hpp"

#include "go_json.hpp"
#include "oci_spec.hpp"

namespace ckimg::gen {

namespace {

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z"; // Go's zero time.Time

Json checkpointctl_config(const Scenario& s) {
    const bool crio = s.engine == Engine::Crio;
    // CRI-O records the image the kubelet asked for (pinned by digest) and the image ID;
    // containerd the CRI image name twice and the repo digest, which its restore pulls.
    return Json{{"id", s.container_id},
                {"name", s.engine_name},
                {"rootfsImage", crio ? s.image.pinned() : s.image.normalized},
                {"rootfsImageRef", crio ? s.image.id : s.image.pinned()},
                {"rootfsImageName", s.image.normalized},
                {"runtime", s.runtime},
                {"createdTime", s.created.rfc3339_nano()},
                {"checkpointedTime", s.checkpointed.rfc3339_nano()},
                {"restoredTime", kZeroTime},
                {"restored", false}};
}

std::string podman_userdata(const Scenario& s) {
    return "/var/lib/containers/storage/overlay-containers/" + s.container_id + "/userdata";
}

// The leading fields of libpod's ContainerConfig, in struct order.
Json podman_identity(const Scenario& s) {
    Json c;
    c["spec"] = runtime_spec(s);
    c["id"] = s.container_id;
    c["name"] = s.container;
    c["lockID"] = 3;
    c["CreateCommand"] = {"podman", "run", "-d", "--name", s.container, s.image.requested};
    c["RawImageName"] = s.image.requested;
    c["idMappingsOptions"] = Json{{"HostUIDMapping", true},
                                  {"HostGIDMapping", true},
                                  {"UIDMap", nullptr},
                                  {"GIDMap", nullptr},
                                  {"AutoUserNs", false}};
    c["Dependencies"] = nullptr;
    c["rootfsImageID"] = s.image.id;
    c["rootfsImageName"] = s.image.normalized;
    c["ShmDir"] = podman_userdata(s) + "/shm";
    c["shmSize"] = 65536000;
    c["staticDir"] = podman_userdata(s);
    c["secretsPath"] = "/var/lib/containers/storage/secrets";
    c["storageOpts"] = nullptr;
    c["privileged"] = false;
    return c;
}

Json podman_config(const Scenario& s) {
    Json c = podman_identity(s);
    const std::string run = "/run/containers/storage/overlay-containers/" + s.container_id;
    c["createNetNS"] = true;
    c["staticIP"] = "";
    c["staticMAC"] = "";
    c["UseImageResolvConf"] = false;
    c["UseImageHosts"] = false;
    c["command"] = {s.exe};
    c["stopSignal"] = 15;
    c["stopTimeout"] = 10;
    c["createdTime"] = s.created.rfc3339_nano();
    c["cgroupManager"] = "systemd";
    c["cgroupParent"] = "machine.slice";
    c["logPath"] = podman_userdata(s) + "/ctr.log";
    c["logTag"] = "";
    c["logSize"] = 0;
    c["logDriver"] = "k8s-file";
    c["conmonPidFile"] = run + "/userdata/conmon.pid";
    c["postConfigureNetNS"] = false;
    c["runtime"] = s.runtime;
    c["exitCommand"] = {"/usr/bin/podman", "--root",  "/var/lib/containers/storage",
                        "container",       "cleanup", s.container_id};
    c["pause"] = false;
    c["systemd"] = false;
    c["healthcheck"] = nullptr;
    return c;
}

// conmon stamps lines with a numeric offset, containerd with Go's RFC3339Nano ("Z").
std::string log_time(const Scenario& s, std::int64_t seconds, std::uint32_t nanos) {
    std::string stamp = Timestamp{seconds, nanos}.rfc3339_nano();
    if (s.engine != Engine::Containerd) {
        stamp = stamp.substr(0, stamp.size() - 1) + "+00:00";
    }
    return stamp;
}

Json cri_resources() {
    return Json{
        {"linux", Json{{"cpu_period", 100000}, {"cpu_shares", 2}, {"oom_score_adj", 1000}}}};
}

Json cri_mounts(const Scenario& s) {
    Json mounts = Json::array();
    for (const BindMount& m : bind_mounts(s)) {
        if (m.source.rfind("/var/lib/kubelet/", 0) != 0) {
            continue; // only the kubelet's volumes are CRI mounts
        }
        Json mount{{"container_path", m.destination}, {"host_path", m.source}};
        if (m.read_only) {
            mount["readonly"] = true;
        }
        mounts.push_back(mount);
    }
    return mounts;
}

} // namespace

std::string config_dump(const Scenario& s) {
    switch (s.engine) {
    case Engine::Crio:
        return go_indent(checkpointctl_config(s));
    case Engine::Containerd:
        return go_compact(checkpointctl_config(s));
    case Engine::Podman:
        return go_indent(podman_config(s));
    }
    return "{}";
}

std::string container_log(const Scenario& s) {
    std::string log;
    for (std::uint32_t i = 0; i < 40; ++i) {
        const std::uint32_t nanos = (s.started.nanos + i * 7919u) % 1'000'000'000u;
        log += log_time(s, s.started.seconds + 1 + i, nanos) + " stdout F " + s.comm + ": " +
               std::to_string(i) + "\n";
    }
    return log;
}

std::string crio_bind_mounts(const Scenario& s) {
    Json list = Json::array();
    for (const BindMount& m : bind_mounts(s)) {
        if (m.destination == "/dev/shm" || m.destination == "/run/.containerenv") {
            continue; // CRI-O skips the mounts it recreates itself (libpod's containerMounts)
        }
        const int permissions =
            m.directory ? 0777 : (m.destination == "/dev/termination-log" ? 0666 : 0644);
        list.push_back(Json{{"source", m.source},
                            {"destination", m.destination},
                            {"file_type", m.directory ? "directory" : "file"},
                            {"permissions", permissions}});
    }
    return go_indent(list);
}

std::string containerd_status(const Scenario& s) {
    return go_compact(Json{{"Version", "v1"},
                           {"Pid", s.host_pid},
                           {"CreatedAt", s.created.unix_nanos()},
                           {"StartedAt", s.started.unix_nanos()},
                           {"FinishedAt", 0},
                           {"ExitCode", 0},
                           {"Reason", ""},
                           {"Message", ""},
                           {"Resources", cri_resources()}});
}

std::string containerd_status_dump(const Scenario& s) {
    return go_compact(Json{{"id", s.container_id},
                           {"metadata", Json{{"name", s.container}}},
                           {"state", 1}, // CONTAINER_RUNNING
                           {"created_at", s.created.unix_nanos()},
                           {"started_at", s.started.unix_nanos()},
                           {"image", Json{{"image", s.image.normalized}}},
                           {"image_ref", s.image.pinned()},
                           {"labels", Json(kubernetes_labels(s))},
                           {"annotations", Json(kubelet_annotations(s))},
                           {"mounts", cri_mounts(s)},
                           {"log_path", s.log_path()},
                           {"resources", cri_resources()},
                           {"image_id", "sha256:" + s.image.id}});
}

std::string podman_network_status(const Scenario& s) {
    const Json subnet{{"ipnet", s.pod_ip + "/16"}, {"gateway", s.gateway}};
    const Json eth0{{"subnets", Json::array({subnet})}, {"mac_address", s.mac}};
    return go_indent(Json{{"podman", Json{{"interfaces", Json{{"eth0", eth0}}}}}});
}

} // namespace ckimg::gen
