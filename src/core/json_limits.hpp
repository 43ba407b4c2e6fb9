// Parsing JSON from untrusted input: bounded nesting, so a hostile document cannot exhaust the
// stack, and one-line errors naming the input.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace ckimg {

inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; throws InputError "<what>: not valid JSON (...)" or "<what>: nested too deeply".
nlohmann::json parse_untrusted_json(std::string_view text, const std::string& what);

} // namespace ckimg
