// JSON written the way the engines' Go code writes it: keys in struct order (ordered_json),
// map keys sorted, json.Marshal (compact) or json.MarshalIndent(v, "", "  ").
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ckimg::gen {

using Json = nlohmann::ordered_json;

// Go's encoder escapes <, > and & inside strings (they can appear nowhere else in JSON).
inline std::string go_escape_html(std::string text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else {
            out += c;
        }
    }
    return out;
}

// json.Marshal
inline std::string go_compact(const Json& value) {
    return go_escape_html(value.dump());
}

// json.MarshalIndent(value, "", "  "): what checkpointctl's WriteJSONFile uses
inline std::string go_indent(const Json& value) {
    return go_escape_html(value.dump(2));
}

// A Go map[string]string marshalled on its own: keys sorted (nlohmann::json sorts its keys).
inline std::string go_map_string(const nlohmann::json& map) {
    return go_escape_html(map.dump());
}

} // namespace ckimg::gen
