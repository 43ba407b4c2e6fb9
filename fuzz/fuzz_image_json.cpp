// The manifest, index and config readers on arbitrary JSON: the bounded parser, descriptors
// wherever a manifest or an index holds them, and every format's detector (what `inspect` runs
// on a manifest from anywhere).
#include "fuzz_common.hpp"

#include <ckimg/descriptor.hpp>
#include <ckimg/format.hpp>
#include <ckimg/image.hpp>

#include "core/json_limits.hpp"

namespace {

void descriptors_in(const nlohmann::json& json) {
    if (!json.is_object()) return;
    for (const char* single : {"config", "subject"}) {
        if (auto it = json.find(single); it != json.end())
            ckimg::fuzz::expect_only_errors(
                [&] { (void)ckimg::to_json(ckimg::descriptor_from_json(*it, single)); });
    }
    for (const char* list : {"layers", "manifests", "blobs"}) {
        auto it = json.find(list);
        if (it == json.end() || !it->is_array()) continue;
        for (const auto& entry : *it)
            ckimg::fuzz::expect_only_errors(
                [&] { (void)ckimg::to_json(ckimg::descriptor_from_json(entry, list)); });
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto text = ckimg::fuzz::as_text(data, size);
    ckimg::fuzz::expect_only_errors([&] {
        auto json = ckimg::parse_untrusted_json(text, "fuzz");
        for (const auto* format : ckimg::all_formats())
            (void)format->detect(json);
        (void)ckimg::detect_format(json);
        ckimg::fuzz::expect_only_errors([&] { (void)ckimg::descriptor_from_json(json, "fuzz"); });
        descriptors_in(json);
        (void)ckimg::canonical_json(json);
    });
    return 0;
}
