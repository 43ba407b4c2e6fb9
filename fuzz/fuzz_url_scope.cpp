// Where credentials go (docs/reliability.md, "Credentials stay with their host"): ckimg decides
// whether a URL is the registry's own with its URL parser, libcurl connects with its own. This
// target checks that the two never disagree in the direction that leaks: whenever ckimg calls a
// Location (resolved against a registry URL) the registry's origin, libcurl's URL API, reading
// the resolved URL as libcurl reads CURLOPT_URL, names the same scheme, host and port; and every
// URL ckimg accepts is one libcurl accepts, parsed again to the same origin.
//
// Input: "BASE\nLOCATION" (BASE a registry URL), or a LOCATION alone against a fixed base.
#include "fuzz_common.hpp"

#include "registry/url.hpp"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <optional>

namespace {

struct Origin {
    std::string scheme, host, port;
    bool operator==(const Origin& other) const {
        return scheme == other.scheme && host == other.host && port == other.port;
    }
};

std::string lower(std::string text) {
    for (auto& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// What libcurl connects to for CURLOPT_URL `text` (its own flags there), nullopt when it refuses.
std::optional<Origin> libcurl_origin(const std::string& text) {
    std::unique_ptr<CURLU, void (*)(CURLU*)> url(curl_url(), curl_url_cleanup);
    if (curl_url_set(url.get(), CURLUPART_URL, text.c_str(),
                     CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        return std::nullopt;
    // Read here on its own, not through ckimg's url.cpp: this is the other side of the check.
    auto read = [&](CURLUPart which, unsigned flags = 0) {
        char* value = nullptr;
        std::string out;
        if (curl_url_get(url.get(), which, &value, flags) == CURLUE_OK && value != nullptr)
            out = value;
        curl_free(value);
        return out;
    };
    auto host = lower(read(CURLUPART_HOST));
    auto zone = read(CURLUPART_ZONEID);
    if (!zone.empty() && !host.empty()) host.insert(host.size() - 1, "%25" + zone);
    return Origin{lower(read(CURLUPART_SCHEME)), host, read(CURLUPART_PORT, CURLU_DEFAULT_PORT)};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(ckimg::fuzz::as_text(data, size));
    std::string base = "https://registry.example:5000/v2/team/app/blobs/uploads/1?s=2";
    std::string location = text;
    if (auto newline = text.find('\n'); newline != std::string::npos) {
        base = text.substr(0, newline);
        location = text.substr(newline + 1);
    }
    using namespace ckimg::registry;
    std::optional<Url> registry;
    try {
        registry = Url::parse(base);
    } catch (const ckimg::Error&) {
        return 0; // not a registry URL ckimg would use
    }
    if (!libcurl_origin(registry->str())) std::abort(); // ckimg took what libcurl refuses
    std::string resolved;
    bool ours = false;
    try {
        resolved = resolve_url(base, location);
        ours = same_origin(resolved, base);
    } catch (const ckimg::Error&) {
        return 0; // refused: no request at all
    }
    auto connects_to = libcurl_origin(resolved);
    if (!connects_to) std::abort(); // ckimg would send what libcurl cannot parse
    auto theirs = libcurl_origin(registry->str());
    // The leak: ckimg attaches the registry's credentials, libcurl connects elsewhere.
    if (ours && !(*connects_to == *theirs)) std::abort();
    // And the parse is stable: what ckimg sends parses back to the origin it decided on.
    auto again = Url::parse(resolved);
    if (!(Origin{again.scheme(), again.host(), again.port()} == *connects_to)) std::abort();
    (void)redact_url(resolved);
    return 0;
}
