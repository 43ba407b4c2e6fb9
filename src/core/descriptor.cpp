#include <ckimg/descriptor.hpp>
#include <ckimg/error.hpp>

#include <sys/utsname.h>

namespace ckimg {

std::string normalize_architecture(const std::string& arch) {
    if (arch == "x86_64" || arch == "x86-64" || arch == "X86_64") return "amd64";
    if (arch == "aarch64" || arch == "AARCH64") return "arm64";
    if (arch == "i386" || arch == "i686") return "386";
    if (arch == "armv7l" || arch == "armhf") return "arm";
    if (arch == "ppc64le" || arch == "s390x" || arch == "riscv64" || arch == "mips64le")
        return arch;
    return arch;
}

Platform Platform::parse(const std::string& text) {
    Platform platform;
    auto first = text.find('/');
    if (first == std::string::npos || first == 0 || first + 1 == text.size())
        throw UsageError("invalid platform \"" + text + "\": expected OS/ARCH[/VARIANT]");
    platform.os = text.substr(0, first);
    auto rest = text.substr(first + 1);
    auto second = rest.find('/');
    platform.architecture = normalize_architecture(rest.substr(0, second));
    if (second != std::string::npos) platform.variant = rest.substr(second + 1);
    if (platform.architecture.empty() || platform.variant.find('/') != std::string::npos)
        throw UsageError("invalid platform \"" + text + "\": expected OS/ARCH[/VARIANT]");
    return platform;
}

Platform Platform::host() {
    struct utsname names {};
    Platform platform{"linux", "amd64", ""};
    if (uname(&names) == 0) platform.architecture = normalize_architecture(names.machine);
    return platform;
}

std::string Platform::str() const {
    return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

nlohmann::json to_json(const Annotations& annotations) {
    auto json = nlohmann::json::object();
    for (const auto& [key, value] : annotations)
        json[key] = value;
    return json;
}

nlohmann::json to_json(const Descriptor& descriptor) {
    nlohmann::json json = {{"mediaType", descriptor.media_type},
                           {"digest", descriptor.digest.str()},
                           {"size", descriptor.size}};
    if (descriptor.artifact_type) json["artifactType"] = *descriptor.artifact_type;
    if (!descriptor.annotations.empty()) json["annotations"] = to_json(descriptor.annotations);
    if (descriptor.platform) {
        json["platform"] = {{"os", descriptor.platform->os},
                            {"architecture", descriptor.platform->architecture}};
        if (!descriptor.platform->variant.empty())
            json["platform"]["variant"] = descriptor.platform->variant;
    }
    return json;
}

namespace {

std::string string_field(const nlohmann::json& json, const char* key, const std::string& where) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string())
        throw InputError(where + ": descriptor has no string \"" + key + "\"");
    return it->get<std::string>();
}

} // namespace

Descriptor descriptor_from_json(const nlohmann::json& json, const std::string& where) {
    if (!json.is_object()) throw InputError(where + ": descriptor is not a JSON object");
    Descriptor descriptor;
    descriptor.media_type = string_field(json, "mediaType", where);
    descriptor.digest = Digest::parse(string_field(json, "digest", where));
    auto size = json.find("size");
    if (size == json.end() || !size->is_number_integer() || size->get<std::int64_t>() < 0)
        throw InputError(where + ": descriptor has no valid \"size\"");
    descriptor.size = size->get<std::int64_t>();
    if (auto it = json.find("annotations"); it != json.end()) {
        if (!it->is_object()) throw InputError(where + ": \"annotations\" is not an object");
        for (const auto& [key, value] : it->items()) {
            if (!value.is_string())
                throw InputError(where + ": annotation \"" + key + "\" is not a string");
            descriptor.annotations[key] = value.get<std::string>();
        }
    }
    if (auto it = json.find("artifactType"); it != json.end() && it->is_string())
        descriptor.artifact_type = it->get<std::string>();
    if (auto it = json.find("platform"); it != json.end() && it->is_object()) {
        Platform platform;
        auto text = [&](const char* key) {
            auto field = it->find(key);
            if (field == it->end()) return std::string();
            if (!field->is_string())
                throw InputError(where + ": platform \"" + key + "\" is not a string");
            return field->get<std::string>();
        };
        platform.os = text("os");
        platform.architecture = text("architecture");
        platform.variant = text("variant");
        descriptor.platform = platform;
    }
    return descriptor;
}

} // namespace ckimg
