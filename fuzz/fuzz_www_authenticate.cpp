// parse_www_authenticate on arbitrary header values, then the authenticator's choice of a
// challenge from a 401 carrying them (what a hostile registry controls).
#include "fuzz_common.hpp"

#include "registry/token_auth.hpp"
#include "registry/www_authenticate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto text = ckimg::fuzz::as_text(data, size);
    ckimg::fuzz::expect_only_errors([&] {
        for (const auto& challenge : ckimg::registry::parse_www_authenticate(text)) {
            if (challenge.scheme.empty()) std::abort();
            (void)challenge.param("realm");
        }
        ckimg::registry::HttpResponse response;
        response.status = 401;
        auto rest = text;
        while (!rest.empty())
            response.headers.emplace_back("www-authenticate",
                                          std::string(ckimg::fuzz::take_part(rest)));
        ckimg::registry::Authenticator auth(ckimg::registry::Credentials{"user", "secret", ""},
                                            {"repository:team/app:pull,push"}, false);
        (void)auth.on_unauthorized(response);
        (void)auth.on_unauthorized(response);
    });
    return 0;
}
