#include "registry/url.hpp"

#include <ckimg/error.hpp>

#include <cctype>

namespace ckimg::registry {

Url Url::parse(std::string_view text) {
    Url url;
    auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos)
        throw RegistryError("invalid URL \"" + redact_url(std::string(text)) + "\"");
    url.scheme = std::string(text.substr(0, scheme_end));
    for (auto& c : url.scheme)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (url.scheme != "http" && url.scheme != "https")
        throw RegistryError("unsupported URL scheme \"" + url.scheme + "\"");
    auto rest = text.substr(scheme_end + 3);
    auto path_start = rest.find_first_of("/?");
    auto authority = rest.substr(0, path_start);
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority = authority.substr(at + 1);
    auto bracket = authority.rfind(']');
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        url.port = std::string(authority.substr(colon + 1));
        authority = authority.substr(0, colon);
    }
    url.host = std::string(authority);
    if (url.host.empty()) throw RegistryError("invalid URL: no host");
    if (path_start != std::string_view::npos) {
        auto target = rest.substr(path_start);
        auto question = target.find('?');
        url.path = std::string(target.substr(0, question));
        if (question != std::string_view::npos)
            url.query = std::string(target.substr(question + 1));
    }
    return url;
}

std::string Url::origin() const {
    return scheme + "://" + host + (port.empty() ? "" : ":" + port);
}

std::string Url::host_port() const {
    return host + ":" + (port.empty() ? (scheme == "https" ? "443" : "80") : port);
}

std::string Url::str() const {
    return origin() + path + (query.empty() ? "" : "?" + query);
}

std::string resolve_url(const std::string& base, const std::string& location) {
    if (location.find("://") != std::string::npos) return location;
    auto url = Url::parse(base);
    if (location.rfind("//", 0) == 0) return url.scheme + ":" + location;
    if (!location.empty() && location.front() == '/') return url.origin() + location;
    auto dir = url.path.substr(0, url.path.rfind('/') + 1);
    return url.origin() + (dir.empty() ? "/" : dir) + location;
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
    auto scheme_end = text.find("://");
    std::string out = text.substr(0, text.find('?'));
    if (scheme_end == std::string::npos) return out;
    auto authority_start = scheme_end + 3;
    auto authority_end = out.find('/', authority_start);
    auto at = out.substr(0, authority_end).rfind('@');
    if (at != std::string::npos && at >= authority_start)
        out.erase(authority_start, at + 1 - authority_start);
    return out;
}

bool is_loopback_host(const std::string& host) {
    return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace ckimg::registry
