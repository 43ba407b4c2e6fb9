// What config.dump and spec.dump say about a checkpoint (input: config.dump NUL spec.dump NUL
// head of a CRIU core image), then the annotations and config a format derives from it.
#include "fuzz_common.hpp"

#include <ckimg/format.hpp>

#include "archive/checkpoint_metadata.hpp"
#include "core/json_limits.hpp"
#include "formats/checkpoint_annotations.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto rest = ckimg::fuzz::as_text(data, size);
    auto config = ckimg::fuzz::take_part(rest);
    auto spec = ckimg::fuzz::take_part(rest);
    (void)ckimg::architecture_from_core_image(rest);
    ckimg::fuzz::expect_only_errors([&] {
        ckimg::CheckpointInfo info;
        info.config_dump = ckimg::parse_untrusted_json(config, "config.dump");
        info.spec_dump = ckimg::parse_untrusted_json(spec, "spec.dump");
        info.host_arch = ckimg::architecture_from_core_image(rest);
        ckimg::read_checkpoint_metadata("fuzz", info);
        ckimg::FormatOptions options;
        auto created = ckimg::image_created_time(info, options);
        auto platform = ckimg::image_platform(info, options);
        (void)ckimg::image_config(platform, created, {}, {}, info.container_name);
        (void)ckimg::criu_annotations(info);
        (void)ckimg::to_json(info).dump();
    });
    return 0;
}
