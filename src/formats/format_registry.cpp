// The list of formats. Registering a format is one line here; nothing else changes.
#include <ckimg/error.hpp>
#include <ckimg/format.hpp>

#include "formats/crio_format.hpp"
#include "formats/oci_checkpoint_format.hpp"
#include "formats/podman_format.hpp"

namespace ckimg {

const std::vector<const Format*>& all_formats() {
    static const std::vector<const Format*> formats = {&crio_format(), &podman_format(),
                                                       &oci_checkpoint_format()};
    return formats;
}

const Format& find_format(const std::string& name) {
    std::string known;
    for (const auto* format : all_formats()) {
        if (format->name() == name) return *format;
        known += (known.empty() ? "" : ", ") + format->name();
    }
    throw UsageError("unknown format \"" + name + "\" (known: " + known + ")");
}

const Format* detect_format(const nlohmann::json& manifest) {
    for (const auto* format : all_formats())
        if (format->detect(manifest)) return format;
    return nullptr;
}

} // namespace ckimg
