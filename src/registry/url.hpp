// Just enough URL handling for the distribution API: origins, relative Locations, queries, and
// the redacted form that error messages may show.
#pragma once

#include <string>
#include <string_view>

namespace ckimg::registry {

struct Url {
    std::string scheme; // "https" or "http"
    std::string host;   // "example.com", "[::1]" (brackets kept)
    std::string port;   // empty when not given
    std::string path;   // starts with "/" (or is empty)
    std::string query;  // without "?"

    // Throws RegistryError on anything but an absolute http(s) URL.
    static Url parse(std::string_view text);
    // "scheme://host[:port]": what decides whether credentials may go along.
    std::string origin() const;
    // "host:port" with the scheme's default port filled in (certs.d directory names).
    std::string host_port() const;
    std::string str() const;
};

// Resolves a Location header (absolute, "/path?query" or relative) against the request URL.
std::string resolve_url(const std::string& base, const std::string& location);
// Appends "name=value" (value percent-encoded) to the URL's query.
std::string append_query(const std::string& url, const std::string& name, const std::string& value);
std::string percent_encode(std::string_view text);
// The URL without user info and query: safe to print (upload URLs carry state and tokens).
std::string redact_url(const std::string& url);
// True for localhost, 127.0.0.0/8 and [::1]: the only hosts credentials may reach over plain HTTP.
bool is_loopback_host(const std::string& host);

} // namespace ckimg::registry
