// The OCI content descriptor and platform, with their JSON forms.
#pragma once

#include <ckimg/digest.hpp>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ckimg {

using Annotations = std::map<std::string, std::string>;

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;

    // Parses "os/arch[/variant]"; throws UsageError otherwise.
    static Platform parse(const std::string& text);
    // The platform this binary runs on, in Go's GOOS/GOARCH names.
    static Platform host();
    std::string str() const;
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    std::int64_t size = 0;
    Annotations annotations;
    std::optional<std::string> artifact_type;
    std::optional<Platform> platform;
};

nlohmann::json to_json(const Descriptor& descriptor);
// Validates the fields a descriptor must have; throws InputError naming `where`.
Descriptor descriptor_from_json(const nlohmann::json& json, const std::string& where);
nlohmann::json to_json(const Annotations& annotations);

// Maps Go/OCI architecture names from other spellings (x86_64 -> amd64, aarch64 -> arm64).
std::string normalize_architecture(const std::string& arch);

} // namespace ckimg
