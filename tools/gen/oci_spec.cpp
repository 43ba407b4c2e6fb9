#include "oci_spec.hpp"

namespace ckimg::gen {

namespace {

std::string kubelet_pod_dir(const Scenario& s) {
    return "/var/lib/kubelet/pods/" + s.pod_uid;
}

std::string crio_userdata(const std::string& id) {
    return "/var/run/containers/storage/overlay-containers/" + id + "/userdata";
}

std::string rootfs_path(const Scenario& s) {
    if (s.engine == Engine::Containerd) {
        return "rootfs"; // relative to the bundle, as containerd writes it
    }
    return "/var/lib/containers/storage/overlay/" + s.layer_id + "/merged";
}

// The volumes the kubelet hands every container: /etc/hosts, the termination log and the
// projected service account token.
std::vector<BindMount> kubelet_mounts(const Scenario& s) {
    const std::string pod_dir = kubelet_pod_dir(s);
    return {
        {"/etc/hosts", pod_dir + "/etc-hosts", false, false},
        {"/dev/termination-log",
         pod_dir + "/containers/" + s.container + "/" + s.container_id.substr(0, 8), false, false},
        {"/var/run/secrets/kubernetes.io/serviceaccount",
         pod_dir + "/volumes/kubernetes.io~projected/kube-api-access-" + s.sandbox_id.substr(0, 5),
         true, true}};
}

std::vector<BindMount> engine_mounts(const Scenario& s) {
    switch (s.engine) {
    case Engine::Crio: {
        const std::string sandbox = crio_userdata(s.sandbox_id);
        return {
            {"/dev/shm", sandbox + "/shm", true, false},
            {"/etc/resolv.conf", sandbox + "/resolv.conf", false, false},
            {"/etc/hostname", sandbox + "/hostname", false, false},
            {"/run/.containerenv", crio_userdata(s.container_id) + "/.containerenv", false, false}};
    }
    case Engine::Containerd: {
        const std::string state = "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/";
        const std::string run = "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/";
        return {{"/etc/hostname", state + s.sandbox_id + "/hostname", false, false},
                {"/etc/resolv.conf", state + s.sandbox_id + "/resolv.conf", false, false},
                {"/dev/shm", run + s.sandbox_id + "/shm", true, false}};
    }
    case Engine::Podman: {
        const std::string userdata =
            "/run/containers/storage/overlay-containers/" + s.container_id + "/userdata";
        return {
            {"/dev/shm",
             "/var/lib/containers/storage/overlay-containers/" + s.container_id + "/userdata/shm",
             true, false},
            {"/etc/resolv.conf", userdata + "/resolv.conf", false, false},
            {"/etc/hosts", userdata + "/hosts", false, false},
            {"/run/.containerenv", userdata + "/.containerenv", false, false},
            {"/etc/hostname", userdata + "/hostname", false, false}};
    }
    }
    return {};
}

Json mount(const std::string& destination, const std::string& type, const std::string& source,
           const std::vector<std::string>& options) {
    return Json{
        {"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

Json mounts(const Scenario& s) {
    Json list = Json::array();
    list.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    list.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    list.push_back(
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    list.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    list.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    list.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                         {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    for (const BindMount& m : bind_mounts(s)) {
        list.push_back(mount(m.destination, "bind", m.source,
                             {m.read_only ? "ro" : "rw", "rbind", "rprivate", "bind"}));
    }
    return list;
}

std::vector<std::string> environment(const Scenario& s) {
    std::vector<std::string> env{
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    if (s.engine == Engine::Podman) {
        env.insert(env.end(),
                   {"container=podman", "HOME=/root", "HOSTNAME=" + s.container_id.substr(0, 12)});
        return env;
    }
    env.insert(env.end(),
               {"HOSTNAME=" + s.pod, "KUBERNETES_SERVICE_HOST=10.96.0.1",
                "KUBERNETES_SERVICE_PORT=443", "KUBERNETES_SERVICE_PORT_HTTPS=443",
                "KUBERNETES_PORT=tcp://10.96.0.1:443",
                "KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO=tcp",
                "KUBERNETES_PORT_443_TCP_PORT=443", "KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1"});
    return env;
}

Json process(const Scenario& s) {
    const std::vector<std::string> caps{"CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FSETID",
                                        "CAP_FOWNER",  "CAP_SETGID",           "CAP_SETUID",
                                        "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_KILL"};
    Json p;
    p["user"] = Json{{"uid", 0}, {"gid", 0}};
    p["args"] = std::vector<std::string>{s.exe};
    p["env"] = environment(s);
    p["cwd"] = "/";
    p["capabilities"] = Json{{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    if (s.engine == Engine::Podman) {
        p["rlimits"] =
            Json::array({Json{{"type", "RLIMIT_NOFILE"}, {"hard", 524288}, {"soft", 524288}}});
    } else {
        p["oomScoreAdj"] = 1000; // what the kubelet gives BestEffort pods
    }
    return p;
}

std::vector<std::string> seccomp_architectures(const std::string& arch) {
    if (arch == "amd64") {
        return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    }
    if (arch == "arm64") {
        return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
    }
    if (arch == "ppc64le") {
        return {"SCMP_ARCH_PPC64LE"};
    }
    if (arch == "s390x") {
        return {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"};
    }
    if (arch == "riscv64") {
        return {"SCMP_ARCH_RISCV64"};
    }
    return {arch == "386" ? "SCMP_ARCH_X86" : "SCMP_ARCH_ARM"};
}

// A shortened RuntimeDefault profile: enough for the architectures to be recorded.
Json seccomp(const Scenario& s) {
    const std::vector<std::string> allowed{
        "accept4",   "bind",      "brk",         "clock_gettime", "clone",          "close",
        "connect",   "epoll_ctl", "epoll_pwait", "execve",        "exit_group",     "fcntl",
        "fstat",     "futex",     "getpid",      "mmap",          "mprotect",       "munmap",
        "nanosleep", "openat",    "read",        "rt_sigaction",  "rt_sigprocmask", "write"};
    return Json{
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"defaultErrnoRet", 38},
        {"architectures", seccomp_architectures(s.arch)},
        {"syscalls", Json::array({Json{{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}}})}};
}

std::string cgroups_path(const Scenario& s) {
    std::string uid = s.pod_uid;
    for (char& c : uid) {
        c = c == '-' ? '_' : c; // systemd slice names cannot hold '-' inside a unit part
    }
    const std::string slice = "kubepods-besteffort-pod" + uid + ".slice";
    switch (s.engine) {
    case Engine::Crio:
        return slice + ":crio:" + s.container_id;
    case Engine::Containerd:
        return slice + ":cri-containerd:" + s.container_id;
    case Engine::Podman:
        return "machine.slice:libpod:" + s.container_id;
    }
    return slice;
}

// Pods share their sandbox's network, IPC and UTS namespaces, pinned by the engine.
Json namespaces(const Scenario& s) {
    Json list = Json::array();
    list.push_back(Json{{"type", "pid"}});
    if (s.engine == Engine::Crio) {
        list.push_back(Json{{"type", "network"}, {"path", "/var/run/netns/" + s.pod_uid}});
        list.push_back(Json{{"type", "ipc"}, {"path", "/var/run/ipcns/" + s.pod_uid}});
        list.push_back(Json{{"type", "uts"}, {"path", "/var/run/utsns/" + s.pod_uid}});
    } else if (s.engine == Engine::Containerd) {
        const std::string sandbox_ns = "/proc/" + std::to_string(s.host_pid - 40) + "/ns/";
        list.push_back(Json{{"type", "ipc"}, {"path", sandbox_ns + "ipc"}});
        list.push_back(Json{{"type", "uts"}, {"path", sandbox_ns + "uts"}});
        list.push_back(Json{{"type", "network"}, {"path", "/var/run/netns/cni-" + s.pod_uid}});
    } else {
        list.push_back(Json{{"type", "network"}, {"path", "/run/netns/netns-" + s.pod_uid}});
        list.push_back(Json{{"type", "ipc"}});
        list.push_back(Json{{"type", "uts"}});
    }
    list.push_back(Json{{"type", "mount"}});
    list.push_back(Json{{"type", "cgroup"}});
    return list;
}

Json linux_section(const Scenario& s) {
    Json resources{{"devices", Json::array({Json{{"allow", false}, {"access", "rwm"}}})},
                   {"cpu", Json{{"shares", 2}, {"period", 100000}}}};
    Json linux{{"resources", resources},
               {"cgroupsPath", cgroups_path(s)},
               {"namespaces", namespaces(s)},
               {"seccomp", seccomp(s)}};
    linux["maskedPaths"] = {"/proc/acpi",          "/proc/kcore",      "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug",   "/proc/scsi",       "/sys/firmware"};
    linux["readonlyPaths"] = {"/proc/asound", "/proc/bus", "/proc/fs",
                              "/proc/irq",    "/proc/sys", "/proc/sysrq-trigger"};
    return linux;
}

// CRI-O's []ContainerVolume, fields in struct order.
std::string crio_volumes(const Scenario& s) {
    Json volumes = Json::array();
    for (const BindMount& m : kubelet_mounts(s)) {
        volumes.push_back(Json{{"container_path", m.destination},
                               {"host_path", m.source},
                               {"readonly", m.read_only},
                               {"propagation", 0},
                               {"selinux_relabel", false}});
    }
    return go_compact(volumes);
}

nlohmann::json crio_annotations(const Scenario& s) {
    nlohmann::json a = kubelet_annotations(s);
    a.update({{"io.container.manager", "cri-o"},
              {"io.kubernetes.container.name", s.container},
              {"io.kubernetes.pod.name", s.pod},
              {"io.kubernetes.pod.namespace", s.pod_namespace},
              {"io.kubernetes.pod.uid", s.pod_uid},
              {"kubernetes.io/config.seen", s.pod_created.rfc3339_nano()},
              {"kubernetes.io/config.source", "api"}});
    const std::string p = "io.kubernetes.cri-o.";
    a.update({{p + "Annotations", go_map_string(kubelet_annotations(s))},
              {p + "ContainerID", s.container_id},
              {p + "ContainerType", "container"},
              {p + "Created", s.created.rfc3339_nano()},
              {p + "IP.0", s.pod_ip},
              {p + "Image", s.image.id},
              {p + "ImageName", s.image.normalized},
              {p + "ImageRef", s.image.id},
              {p + "Labels", go_map_string(kubernetes_labels(s))},
              {p + "LogPath", s.log_path()},
              {p + "Metadata", go_map_string({{"name", s.container}})}, // attempt 0: omitempty
              {p + "MountPoint", rootfs_path(s)},
              {p + "Name", s.engine_name},
              {p + "ResolvPath", crio_userdata(s.sandbox_id) + "/resolv.conf"},
              {p + "SandboxID", s.sandbox_id},
              {p + "SandboxName", "k8s_" + s.pod + "_" + s.pod_namespace + "_" + s.pod_uid + "_0"},
              {p + "SeccompProfilePath", "RuntimeDefault"},
              {p + "Stdin", "false"},
              {p + "StdinOnce", "false"},
              {p + "TTY", "false"},
              {p + "Volumes", crio_volumes(s)}});
    return a;
}

nlohmann::json containerd_annotations(const Scenario& s) {
    const std::string p = "io.kubernetes.cri.";
    return {{p + "container-name", s.container},
            {p + "container-type", "container"},
            {p + "image-name", s.image.normalized},
            {p + "sandbox-id", s.sandbox_id},
            {p + "sandbox-name", s.pod},
            {p + "sandbox-namespace", s.pod_namespace},
            {p + "sandbox-uid", s.pod_uid}};
}

nlohmann::json podman_annotations() {
    const std::string p = "io.podman.annotations.";
    return {{"io.container.manager", "libpod"},
            {p + "autoremove", "FALSE"},
            {p + "init", "FALSE"},
            {p + "privileged", "FALSE"},
            {p + "publish-all", "FALSE"},
            {"org.opencontainers.image.stopSignal", "15"}};
}

Json annotations(const Scenario& s) {
    switch (s.engine) {
    case Engine::Crio:
        return Json(crio_annotations(s));
    case Engine::Containerd:
        return Json(containerd_annotations(s));
    case Engine::Podman:
        return Json(podman_annotations());
    }
    return Json::object();
}

} // namespace

nlohmann::json kubelet_annotations(const Scenario& s) {
    return {{"io.kubernetes.container.hash", s.container_id.substr(8, 8)},
            {"io.kubernetes.container.restartCount", "0"},
            {"io.kubernetes.container.terminationMessagePath", "/dev/termination-log"},
            {"io.kubernetes.container.terminationMessagePolicy", "File"},
            {"io.kubernetes.pod.terminationGracePeriod", "30"}};
}

nlohmann::json kubernetes_labels(const Scenario& s) {
    return {{"io.kubernetes.container.name", s.container},
            {"io.kubernetes.pod.name", s.pod},
            {"io.kubernetes.pod.namespace", s.pod_namespace},
            {"io.kubernetes.pod.uid", s.pod_uid}};
}

std::vector<BindMount> bind_mounts(const Scenario& s) {
    std::vector<BindMount> list = engine_mounts(s);
    if (s.engine != Engine::Podman) {
        const std::vector<BindMount> kubelet = kubelet_mounts(s);
        list.insert(list.end(), kubelet.begin(), kubelet.end());
    }
    return list;
}

Json runtime_spec(const Scenario& s) {
    Json spec;
    spec["ociVersion"] = "1.1.0";
    spec["process"] = process(s);
    spec["root"] = Json{{"path", rootfs_path(s)}};
    spec["hostname"] = s.engine == Engine::Podman ? s.container_id.substr(0, 12) : s.pod;
    spec["mounts"] = mounts(s);
    spec["annotations"] = annotations(s);
    spec["linux"] = linux_section(s);
    return spec;
}

std::string spec_dump(const Scenario& s) {
    const Json spec = runtime_spec(s);
    return s.engine == Engine::Containerd ? go_compact(spec) : go_indent(spec);
}

} // namespace ckimg::gen
