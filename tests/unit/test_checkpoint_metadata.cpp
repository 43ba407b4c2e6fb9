#include "archive/checkpoint_metadata.hpp"

#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

using namespace ckimg;
using nlohmann::json;

namespace {

CheckpointInfo read(json config, json spec) {
    CheckpointInfo info;
    info.config_dump = std::move(config);
    info.spec_dump = std::move(spec);
    read_checkpoint_metadata("a.tar", info);
    return info;
}

} // namespace

TEST_CASE("CRI-O names come from spec.dump, not config.dump's k8s_ name", "[metadata]") {
    auto info = read({{"name", "k8s_counter_counters_default_uid_0"},
                      {"checkpointedTime", "2026-11-22T08:00:01Z"},
                      {"rootfsImageRef", "abc"},
                      {"runtime", "runc"}},
                     {{"annotations",
                       {{"io.container.manager", "cri-o"},
                        {"io.kubernetes.cri-o.Metadata", R"({"name":"counter","attempt":0})"},
                        {"io.kubernetes.pod.name", "counters"},
                        {"io.kubernetes.pod.namespace", "default"}}}});
    CHECK(info.engine == Engine::crio);
    CHECK(info.container_name == "counter");
    CHECK(info.pod_name == "counters");
    CHECK(info.pod_namespace == "default");
    CHECK(info.rootfs_image_id == "abc");
    CHECK(info.checkpointed_time == "2026-11-22T08:00:01Z");
}

TEST_CASE("containerd and Podman names", "[metadata]") {
    auto containerd = read({{"name", "abc123"}, {"runtime", "io.containerd.runc.v2"}},
                           {{"annotations",
                             {{"io.kubernetes.cri.container-name", "web"},
                              {"io.kubernetes.cri.sandbox-name", "shop"},
                              {"io.kubernetes.cri.sandbox-namespace", "prod"}}}});
    CHECK(containerd.engine == Engine::containerd);
    CHECK(containerd.container_name == "web");
    CHECK(containerd.pod_namespace == "prod");

    auto podman = read({{"name", "db"}, {"rootfsImageID", "f00"}, {"RawImageName", "postgres"}},
                       {{"annotations", {{"io.container.manager", "libpod"}}}});
    CHECK(podman.engine == Engine::podman);
    CHECK(podman.container_name == "db");
    CHECK(podman.rootfs_image_id == "f00");
    CHECK(podman.raw_image_name == "postgres");
    CHECK(podman.checkpointed_time.empty());
}

TEST_CASE("wrong types are ignored, a missing name is an error", "[metadata]") {
    auto info = read({{"name", "x"}, {"runtime", 42}, {"createdTime", json::array()}},
                     {{"annotations", "not an object"}});
    CHECK(info.runtime.empty());
    CHECK(info.container_name == "x");
    CHECK_THROWS_WITH(read({{"id", "x"}}, json::object()),
                      Catch::Contains("config.dump has no \"name\""));
    CHECK_THROWS_AS(read(json::array(), json::object()), InputError);
}

TEST_CASE("architecture from the CRIU core image and from seccomp", "[metadata]") {
    std::string core("\x19\x43\x56\x54\x47\x38\x05\x55\x10\x00\x00\x00\x08\x03", 14);
    CHECK(architecture_from_core_image(core) == "arm64");
    CHECK(architecture_from_core_image("short").empty());
    auto info = read({{"name", "x"}},
                     {{"linux", {{"seccomp", {{"architectures", {"SCMP_ARCH_X86_64"}}}}}}});
    CHECK(info.host_arch == "amd64");
}
