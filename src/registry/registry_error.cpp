#include "registry/registry_error.hpp"

#include "registry/url.hpp"

#include "core/json_limits.hpp"

#include <nlohmann/json.hpp>

namespace ckimg::registry {

namespace {

constexpr std::size_t max_message = 300;
constexpr std::size_t max_quoted = 100;

std::string one_line(std::string text) {
    for (auto& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    if (text.size() > max_message) text = text.substr(0, max_message) + "...";
    return text;
}

} // namespace

std::string quote_network(std::string_view value) {
    if (value.size() <= max_quoted) return "\"" + std::string(value) + "\"";
    return "\"" + std::string(value.substr(0, max_quoted)) + "...\" (" +
           std::to_string(value.size()) + " bytes)";
}

const char* reason_phrase(long status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

std::string describe_error_body(const std::string& body) {
    // The body is the registry's: bounded nesting, and fields of any type (a number where the
    // spec says string must not turn into an exception with JSON library jargon).
    nlohmann::json json;
    try {
        json = parse_untrusted_json(body, "error body");
    } catch (const InputError&) {
        return {};
    }
    if (!json.is_object()) return {};
    auto text = [](const nlohmann::json& object, const char* key) {
        auto it = object.find(key);
        return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto errors = json.find("errors");
    if (errors == json.end() || !errors->is_array()) return {};
    std::string out;
    for (const auto& error : *errors) {
        if (!error.is_object()) continue;
        std::string code = text(error, "code");
        std::string message = text(error, "message");
        if (!out.empty()) out += "; ";
        out += code.empty() ? message : message.empty() ? code : code + ": " + message;
    }
    return one_line(out);
}

RegistryError response_error(const HttpResponse& response, const std::string& method,
                             const std::string& url, const std::string& hint) {
    std::string message = "HTTP " + std::to_string(response.status);
    auto detail = describe_error_body(response.body);
    if (detail.empty()) {
        std::string phrase = reason_phrase(response.status);
        if (!phrase.empty()) detail = phrase;
    }
    if (!detail.empty()) message += " " + detail;
    if (!hint.empty()) message += " (" + hint + ")";
    message += " (" + method + " " + redact_url(url) + ")";
    return RegistryError(message, response.status);
}

} // namespace ckimg::registry
