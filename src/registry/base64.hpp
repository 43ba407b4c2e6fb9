// Standard base64 (RFC 4648 with padding), as auth files and Basic auth use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ckimg::registry {

std::string base64_encode(std::string_view data);
// Returns nullopt on malformed input; tolerates missing padding.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace ckimg::registry
