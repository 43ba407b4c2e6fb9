// URLs of the distribution API, parsed by libcurl's own URL API (curl_url) and by nothing else:
// the parse that decides which credentials go along is the one libcurl connects with (the handle
// itself is what HttpClient gives libcurl), so no URL can be "the registry" to ckimg and another
// host to libcurl (curl CVE-2018-1000007, containerd CVE-2020-15157).
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct Curl_URL; // CURLU, from <curl/urlapi.h>

namespace ckimg::registry {

class Url {
public:
    // Throws RegistryError on anything but an absolute http(s) URL that libcurl accepts, and on
    // URLs with user info (credentials in a URL are never the registry's business) or with
    // control characters or spaces (they would be bytes of a request line).
    static Url parse(std::string_view text);
    // Resolves `location` (absolute, "//host/...", "/path", "relative") against this URL, the
    // way libcurl follows a redirect.
    Url resolve(std::string_view location) const;

    const std::string& scheme() const { return scheme_; } // "https" or "http"
    // Lowercased; IPv6 literals in brackets, with "%25zone" inside them when there is a zone.
    const std::string& host() const { return host_; }
    const std::string& port() const { return port_; } // always set: the default filled in
    const std::string& path() const { return path_; } // starts with "/"
    const std::string& query() const { return query_; }

    // "scheme://host:port" exactly as libcurl connects: the scope of credentials.
    std::string origin() const { return scheme_ + "://" + host_ + ":" + port_; }
    // "host:port", the default port filled in (certs.d directory names).
    std::string host_port() const;
    // libcurl's normal form of the URL, without the fragment (never sent).
    const std::string& str() const { return text_; }
    // The parsed handle, for CURLOPT_CURLU: libcurl connects with this very parse.
    Curl_URL* handle() const { return handle_.get(); }

private:
    std::shared_ptr<Curl_URL> handle_;
    std::string scheme_, host_, port_, path_, query_, text_;
};

// True when both parse and name the same scheme, host and port (where credentials may go).
bool same_origin(const std::string& a, const std::string& b);
// Resolves a Location header against the request URL (libcurl's normal form of the result).
std::string resolve_url(const std::string& base, const std::string& location);
// Appends "name=value" (value percent-encoded) to the URL's query.
std::string append_query(const std::string& url, const std::string& name, const std::string& value);
std::string percent_encode(std::string_view text);
// The URL without user info, query and fragment, cut to a line's worth: safe to print (upload
// URLs carry state and tokens; a hostile Location may be 50 KB).
std::string redact_url(const std::string& url);
// True for localhost, 127.0.0.0/8 and [::1]: the only hosts credentials may reach over plain HTTP.
bool is_loopback_host(const std::string& host);
// True when `text` holds a byte below 0x20 (CR, LF, NUL, ...) or DEL: such a value from the
// network must not become part of a request.
bool has_control_char(std::string_view text);

} // namespace ckimg::registry
