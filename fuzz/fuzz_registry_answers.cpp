// What else a registry's answer controls: error bodies, Retry-After, Location headers (resolved
// against the request URL, then parsed and redacted for messages).
#include "fuzz_common.hpp"

#include "registry/registry_error.hpp"
#include "registry/retry.hpp"
#include "registry/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(ckimg::fuzz::as_text(data, size));
    using namespace ckimg::registry;
    ckimg::fuzz::expect_only_errors([&] {
        auto described = describe_error_body(text);
        if (described.find('\n') != std::string::npos) std::abort();
    });
    ckimg::fuzz::expect_only_errors([&] { (void)parse_retry_after(text); });
    ckimg::fuzz::expect_only_errors([&] {
        HttpResponse response;
        response.status = 400;
        response.body = text;
        (void)response_error(response, "PUT", "https://user:pw@r.example/v2/x/manifests/v1?t=1");
    });
    ckimg::fuzz::expect_only_errors([&] {
        auto resolved = resolve_url("https://r.example:5000/v2/team/app/blobs/uploads/1?s=2", text);
        auto url = Url::parse(resolved);
        (void)url.origin();
        (void)url.host_port();
        auto shown = redact_url(resolved);
        if (shown.find('?') != std::string::npos) std::abort(); // queries carry upload state
    });
    return 0;
}
