#include "archive/checkpoint_metadata.hpp"

#include <ckimg/error.hpp>

#include "core/json_limits.hpp"

#include <cstdint>
#include <ctime>

namespace ckimg {

namespace {

using nlohmann::json;

std::string text_field(const json& object, const char* key) {
    if (!object.is_object()) return "";
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string first_of(std::initializer_list<std::string> candidates) {
    for (const auto& candidate : candidates)
        if (!candidate.empty()) return candidate;
    return "";
}

const json& annotations_of(const json& spec) {
    static const json empty = json::object();
    if (!spec.is_object()) return empty;
    auto it = spec.find("annotations");
    return it != spec.end() && it->is_object() ? *it : empty;
}

// CRI-O keeps the container's own name inside a JSON document held by an annotation.
std::string crio_metadata_name(const json& annotations) {
    auto metadata = text_field(annotations, "io.kubernetes.cri-o.Metadata");
    if (metadata.empty()) return "";
    // Nested JSON from the archive: bounded like the dumps (an 8 MiB "[[[..." took minutes).
    try {
        return text_field(parse_untrusted_json(metadata, "annotation"), "name");
    } catch (const InputError&) {
        return "";
    }
}

Engine detect_engine(const json& annotations) {
    auto manager = text_field(annotations, "io.container.manager");
    if (manager == "libpod") return Engine::podman;
    if (manager == "cri-o") return Engine::crio;
    return Engine::containerd;
}

void read_kubernetes_names(CheckpointInfo& info, const json& a) {
    switch (info.engine) {
    case Engine::crio:
        info.container_name =
            first_of({crio_metadata_name(a), text_field(a, "io.kubernetes.container.name")});
        info.pod_name = text_field(a, "io.kubernetes.pod.name");
        info.pod_namespace = text_field(a, "io.kubernetes.pod.namespace");
        info.pod_uid = text_field(a, "io.kubernetes.pod.uid");
        info.rootfs_image_name = text_field(a, "io.kubernetes.cri-o.ImageName");
        break;
    case Engine::containerd:
        info.container_name = text_field(a, "io.kubernetes.cri.container-name");
        info.pod_name = text_field(a, "io.kubernetes.cri.sandbox-name");
        info.pod_namespace = text_field(a, "io.kubernetes.cri.sandbox-namespace");
        info.pod_uid = text_field(a, "io.kubernetes.cri.sandbox-uid");
        info.rootfs_image_name = text_field(a, "io.kubernetes.cri.image-name");
        break;
    case Engine::podman:
        break;
    }
}

// seccomp's first architecture is the native one ("SCMP_ARCH_X86_64").
std::string architecture_from_seccomp(const json& spec) {
    if (!spec.is_object() || !spec.contains("linux") || !spec["linux"].is_object()) return "";
    const auto& linux_spec = spec["linux"];
    auto seccomp = linux_spec.find("seccomp");
    if (seccomp == linux_spec.end() || !seccomp->is_object()) return "";
    auto arches = seccomp->find("architectures");
    if (arches == seccomp->end() || !arches->is_array() || arches->empty() ||
        !arches->front().is_string())
        return "";
    auto name = arches->front().get<std::string>();
    if (name == "SCMP_ARCH_X86_64") return "amd64";
    if (name == "SCMP_ARCH_AARCH64") return "arm64";
    if (name == "SCMP_ARCH_PPC64LE") return "ppc64le";
    if (name == "SCMP_ARCH_S390X") return "s390x";
    if (name == "SCMP_ARCH_RISCV64") return "riscv64";
    return "";
}

std::uint32_t read_u32le(std::string_view bytes, std::size_t offset) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i)
        value =
            (value << 8) | static_cast<unsigned char>(bytes[offset + static_cast<std::size_t>(i)]);
    return value;
}

} // namespace

std::string architecture_from_core_image(std::string_view head) {
    constexpr std::uint32_t kCommonMagic = 0x54564319;
    constexpr std::uint32_t kServiceMagic = 0x55105940;
    constexpr std::uint32_t kCoreMagic = 0x55053847;
    if (head.size() < 14) return "";
    std::size_t offset = 0;
    auto first = read_u32le(head, 0);
    if (first == kCommonMagic || first == kServiceMagic) offset = 4;
    if (read_u32le(head, offset) != kCoreMagic) return "";
    offset += 8; // the core magic, then the record's u32 length
    // CoreEntry field 1 is `required march mtype` (varint): tag byte 0x08.
    if (static_cast<unsigned char>(head[offset]) != 0x08) return "";
    switch (static_cast<unsigned char>(head[offset + 1])) {
    case 1:
        return "amd64";
    case 2:
        return "arm";
    case 3:
        return "arm64";
    case 4:
        return "ppc64le";
    case 5:
        return "s390x";
    case 6:
        return "mips64le";
    case 7:
        return "loong64";
    case 8:
        return "riscv64";
    default:
        return "";
    }
}

std::string rfc3339_seconds(std::int64_t seconds) {
    auto time = static_cast<std::time_t>(seconds);
    std::tm utc{};
    if (gmtime_r(&time, &utc) == nullptr) return "";
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

void read_checkpoint_metadata(const std::string& archive, CheckpointInfo& info) {
    const json& config = info.config_dump;
    if (!config.is_object()) throw InputError(archive + ": config.dump is not a JSON object");
    auto dump_name = text_field(config, "name");
    if (dump_name.empty())
        throw InputError(archive + ": config.dump has no \"name\" (not a container checkpoint?)");
    if (!info.spec_dump.is_object()) throw InputError(archive + ": spec.dump is not a JSON object");
    const json& annotations = annotations_of(info.spec_dump);
    info.engine = detect_engine(annotations);
    read_kubernetes_names(info, annotations);
    if (info.container_name.empty()) info.container_name = dump_name;
    if (info.engine == Engine::podman) info.pod_name = text_field(config, "pod");
    info.container_id = text_field(config, "id");
    info.rootfs_image_name =
        first_of({text_field(config, "rootfsImageName"), info.rootfs_image_name});
    info.rootfs_image_id =
        first_of({text_field(config, "rootfsImageRef"), text_field(config, "rootfsImageID")});
    info.raw_image_name =
        first_of({text_field(config, "RawImageName"), text_field(config, "rawImageName")});
    info.runtime = first_of({text_field(config, "runtime"), text_field(config, "OCIRuntime")});
    info.created_time = text_field(config, "createdTime");
    info.checkpointed_time = text_field(config, "checkpointedTime");
    if (info.host_arch.empty()) info.host_arch = architecture_from_seccomp(info.spec_dump);
}

} // namespace ckimg
