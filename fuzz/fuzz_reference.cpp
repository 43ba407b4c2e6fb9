// Reference::parse on arbitrary text. Property: what parses prints (str()) as a reference that
// parses back to the same fields, so that a tag printed in a message names the same thing.
#include "fuzz_common.hpp"

#include <ckimg/reference.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(ckimg::fuzz::as_text(data, size));
    ckimg::fuzz::expect_only_errors([&] {
        auto ref = ckimg::Reference::parse(text);
        (void)ref.api_host();
        (void)ref.tag_or_digest();
        auto again = ckimg::Reference::parse(ref.str());
        if (again.registry != ref.registry || again.repository != ref.repository ||
            again.tag != ref.tag || again.digest != ref.digest)
            std::abort();
    });
    return 0;
}
