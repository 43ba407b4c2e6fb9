#include "registry/url.hpp"

#include <ckimg/error.hpp>

#include <curl/curl.h>

#include <cctype>
#include <optional>

namespace ckimg::registry {

namespace {

// A URL in a message: a line's worth, whatever a registry put into it.
constexpr std::size_t max_shown_url = 200;

using Handle = std::shared_ptr<CURLU>;

Handle new_handle(CURLU* raw) {
    if (raw == nullptr) throw RegistryError("out of memory parsing a URL");
    return Handle(raw, curl_url_cleanup);
}

std::optional<std::string> part(CURLU* url, CURLUPart which, unsigned flags = 0) {
    char* text = nullptr;
    if (curl_url_get(url, which, &text, flags) != CURLUE_OK || text == nullptr) return std::nullopt;
    std::string out(text);
    curl_free(text);
    return out;
}

std::string lower(std::string text) {
    for (auto& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string cut(std::string text) {
    if (text.size() > max_shown_url) text = text.substr(0, max_shown_url) + "...";
    return text;
}

// What a message may show of a URL that did not parse.
std::string shown(std::string_view text) {
    return cut(std::string(text.substr(0, text.find_first_of("?#"))));
}

[[noreturn]] void refuse(std::string_view text, const std::string& why) {
    throw RegistryError("invalid URL \"" + shown(text) + "\": " + why);
}

} // namespace

bool has_control_char(std::string_view text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

Url Url::parse(std::string_view text) {
    if (has_control_char(text) || text.find(' ') != std::string_view::npos)
        refuse(text, "control characters or spaces");
    auto handle = new_handle(curl_url());
    std::string copy(text);
    // The flags libcurl itself would use, less what widens them: no guessed scheme, no user
    // info (the classic "registry@other" confusion has nothing to confuse then).
    auto code = curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), CURLU_DISALLOW_USER);
    if (code != CURLUE_OK) refuse(text, curl_url_strerror(code));
    Url url;
    url.scheme_ = lower(part(handle.get(), CURLUPART_SCHEME).value_or(""));
    if (url.scheme_ != "http" && url.scheme_ != "https")
        throw RegistryError("unsupported URL scheme \"" + cut(url.scheme_) + "\" (" + shown(text) +
                            ")");
    auto host = part(handle.get(), CURLUPART_HOST);
    if (!host || host->empty()) refuse(text, "no host");
    url.host_ = lower(*host);
    if (auto zone = part(handle.get(), CURLUPART_ZONEID); zone && !url.host_.empty())
        url.host_.insert(url.host_.size() - 1, "%25" + *zone);
    url.port_ = part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("");
    url.path_ = part(handle.get(), CURLUPART_PATH).value_or("/");
    url.query_ = part(handle.get(), CURLUPART_QUERY).value_or("");
    // The fragment is never sent; dropping it keeps str() free of what libcurl ignores.
    curl_url_set(handle.get(), CURLUPART_FRAGMENT, nullptr, 0);
    auto normal = part(handle.get(), CURLUPART_URL);
    if (!normal || url.port_.empty()) refuse(text, "libcurl cannot rebuild it");
    url.text_ = *normal;
    url.handle_ = std::move(handle);
    return url;
}

Url Url::resolve(std::string_view location) const {
    if (has_control_char(location) || location.find(' ') != std::string_view::npos)
        refuse(location, "control characters or spaces");
    // Resolved by curl_url itself (as libcurl resolves a redirect), then parsed again as a whole,
    // so that the result passes every check parse() makes.
    auto handle = new_handle(curl_url_dup(handle_.get()));
    std::string copy(location);
    auto code = curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), CURLU_DISALLOW_USER);
    if (code != CURLUE_OK) refuse(location, curl_url_strerror(code));
    auto resolved = part(handle.get(), CURLUPART_URL);
    if (!resolved) refuse(location, "libcurl cannot rebuild it");
    return parse(*resolved);
}

std::string Url::host_port() const {
    return host_ + ":" + port_;
}

bool same_origin(const std::string& a, const std::string& b) {
    return Url::parse(a).origin() == Url::parse(b).origin();
}

std::string resolve_url(const std::string& base, const std::string& location) {
    return Url::parse(base).resolve(location).str();
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

std::string append_query(const std::string& url, const std::string& name,
                         const std::string& value) {
    auto separator = url.find('?') == std::string::npos ? '?' : '&';
    return url + separator + name + "=" + percent_encode(value);
}

std::string redact_url(const std::string& text) {
    // libcurl's reading of the URL where there is one: a textual cut at "@" would show
    // "http://other#@registry/" as the registry's URL.
    std::string out;
    try {
        out = Url::parse(text).str();
    } catch (const Error&) {
        out = text;
    }
    out = out.substr(0, out.find_first_of("?#"));
    auto scheme_end = out.find("://");
    if (scheme_end != std::string::npos) {
        auto authority_start = scheme_end + 3;
        auto authority_end = out.find('/', authority_start);
        auto at = out.substr(0, authority_end).rfind('@');
        if (at != std::string::npos && at >= authority_start)
            out.erase(authority_start, at + 1 - authority_start);
    }
    return cut(out);
}

bool is_loopback_host(const std::string& host) {
    return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace ckimg::registry
