// Turning a registry's answer into one line: "HTTP 401 UNAUTHORIZED: authentication required
// (PUT https://host/v2/repo/manifests/v1)", from the JSON error body of distribution-spec.
#pragma once

#include "registry/http_client.hpp"

#include <ckimg/error.hpp>

#include <string>
#include <string_view>

namespace ckimg::registry {

// The codes and messages of {"errors":[{"code","message"}]}, "CODE: message; ...", or "".
std::string describe_error_body(const std::string& body);
// `url` is redacted (no user info, no query) before it is shown.
RegistryError response_error(const HttpResponse& response, const std::string& method,
                             const std::string& url, const std::string& hint = "");
const char* reason_phrase(long status);
// A value from the network (a header, a field) for a message: in quotes, cut to a line's worth.
std::string quote_network(std::string_view value);

} // namespace ckimg::registry
