#include "scenario.hpp"

#include "prng.hpp"

#include <cstdio>
#include <ctime>

namespace ckimg::gen {

namespace {

// 2025-03-04T12:20:30Z: a fixed checkpoint time keeps the output byte-identical across runs.
constexpr std::int64_t kCheckpointEpoch = 1741090830;

std::string hex_string(Xoshiro256& rng, std::size_t length) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    while (out.size() < length) {
        std::uint64_t word = rng.next();
        for (int i = 0; i < 16 && out.size() < length; ++i, word >>= 4) {
            out += kDigits[word & 0xf];
        }
    }
    return out;
}

// A version 4 UUID, as the API server assigns to pods.
std::string uuid_v4(Xoshiro256& rng) {
    std::string hex = hex_string(rng, 32);
    hex[12] = '4';
    hex[16] = "89ab"[rng.below(4)];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

Timestamp from_unix_nanos(std::int64_t nanos) {
    return Timestamp{nanos / 1'000'000'000, static_cast<std::uint32_t>(nanos % 1'000'000'000)};
}

Timestamp before(const Timestamp& t, std::int64_t seconds, Xoshiro256& rng) {
    return Timestamp{t.seconds - seconds, rng.below(1'000'000'000)};
}

// Docker-style normalisation (what CRI reports): docker.io/library/ for bare names, :latest when
// neither tag nor digest is given.
ImageName parse_image(const std::string& requested, Xoshiro256& rng) {
    ImageName image;
    image.requested = requested;
    std::string name = requested;
    std::string digest;
    if (const auto at = name.find('@'); at != std::string::npos) {
        digest = name.substr(at + 1);
        name.resize(at);
    }
    const auto slash = name.find('/');
    const std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
    const bool has_domain = first.find_first_of(".:") != std::string::npos || first == "localhost";
    if (!has_domain) {
        name = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + name;
    }
    const auto colon = name.find(':', name.rfind('/'));
    image.repository = name.substr(0, colon);
    const std::string tag = colon == std::string::npos ? "latest" : name.substr(colon + 1);
    image.id = hex_string(rng, 64);
    image.digest = digest.empty() ? "sha256:" + hex_string(rng, 64) : digest;
    image.normalized = (digest.empty() || colon != std::string::npos)
                           ? image.repository + ":" + tag
                           : image.repository + "@" + digest;
    return image;
}

// The process name: the image's last path component, cut to the kernel's 15-character comm.
std::string process_name(const std::string& repository) {
    const auto slash = repository.rfind('/');
    std::string comm = repository.substr(slash == std::string::npos ? 0 : slash + 1);
    if (comm.size() > 15) {
        comm.resize(15);
    }
    return comm.empty() ? "app" : comm;
}

std::string engine_container_name(const Options& o, const std::string& pod_uid) {
    switch (o.engine) {
    case Engine::Crio: // CRI-O's internal name (oci.Container.Name)
        return "k8s_" + o.container + "_" + o.pod + "_" + o.pod_namespace + "_" + pod_uid + "_0";
    case Engine::Containerd: // containerd's makeContainerName
        return o.container + "_" + o.pod + "_" + o.pod_namespace + "_" + pod_uid + "_0";
    case Engine::Podman:
        return o.container;
    }
    return o.container;
}

std::string runtime_name(Engine engine) {
    switch (engine) {
    case Engine::Crio:
        return "runc";
    case Engine::Containerd:
        return "io.containerd.runc.v2";
    case Engine::Podman:
        return "crun";
    }
    return "runc";
}

} // namespace

std::string Timestamp::rfc3339_nano() const {
    const std::time_t t = seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = text;
    if (nanos != 0) {
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, ".%09u", nanos);
        std::string f = fraction;
        while (f.back() == '0') {
            f.pop_back();
        }
        out += f;
    }
    return out + "Z";
}

std::string Scenario::log_path() const {
    return "/var/log/pods/" + pod_namespace + "_" + pod + "_" + pod_uid + "/" + container +
           "/0.log";
}

Scenario make_scenario(const Options& o) {
    Xoshiro256 rng(derive_seed(o.seed, "scenario/" + std::string(to_string(o.engine)) + "/" +
                                           o.container + "/" + o.pod + "/" + o.pod_namespace));
    Scenario s;
    s.engine = o.engine;
    s.container = o.container;
    s.pod = o.pod;
    s.pod_namespace = o.pod_namespace;
    s.pod_uid = uuid_v4(rng);
    s.container_id = hex_string(rng, 64);
    s.sandbox_id = hex_string(rng, 64);
    s.layer_id = hex_string(rng, 64);
    s.engine_name = engine_container_name(o, s.pod_uid);
    s.runtime = runtime_name(o.engine);
    s.image = parse_image(o.image, rng);
    s.arch = o.arch;
    s.checkpointed = Timestamp{kCheckpointEpoch, rng.below(1'000'000'000)};
    s.created = before(s.checkpointed, 3600 + rng.below(3600), rng);
    s.pod_created = before(s.created, 2 + rng.below(3), rng);
    s.started = from_unix_nanos(s.created.unix_nanos() + 250'000'000); // runc start takes a while
    s.comm = process_name(s.image.repository);
    s.exe = "/usr/local/bin/" + s.comm;
    s.host_pid = 2000 + rng.below(60000);
    // CRI-O's and Podman's default CNI/netavark subnets; containerd setups usually reuse CRI-O's.
    const std::string subnet = o.engine == Engine::Podman ? "10.88.0." : "10.85.0.";
    s.pod_ip = subnet + std::to_string(2 + rng.below(250));
    s.gateway = subnet + "1";
    s.mac = "0a:58"; // one draw per statement: operand order of + is unspecified in C++
    for (int octet = 0; octet < 4; ++octet) {
        s.mac += ':';
        s.mac += hex_string(rng, 2);
    }
    return s;
}

} // namespace ckimg::gen
