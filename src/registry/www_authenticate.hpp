// Parsing WWW-Authenticate challenges (RFC 7235): `Bearer realm="...",service="...",scope="..."`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ckimg::registry {

struct Challenge {
    std::string scheme;                        // lowercased: "basic", "bearer"
    std::map<std::string, std::string> params; // names lowercased, values unquoted

    std::string param(const std::string& name) const {
        auto it = params.find(name);
        return it == params.end() ? std::string() : it->second;
    }
};

// Parses one header value, which may hold several challenges. Malformed parts are skipped, never
// thrown on: a server's odd header must not hide the 401 behind a parse error.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

} // namespace ckimg::registry
