#include "core/json_limits.hpp"

#include <ckimg/error.hpp>

namespace ckimg {

namespace {

// The parser reports depth through its callback; refusing there stops before recursion deepens.
struct DepthLimitExceeded {};

} // namespace

nlohmann::json parse_untrusted_json(std::string_view text, const std::string& what) {
    auto limit = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxJsonDepth) throw DepthLimitExceeded{};
        return true;
    };
    try {
        return nlohmann::json::parse(text, limit);
    } catch (const DepthLimitExceeded&) {
        throw InputError(what + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                         " levels");
    } catch (const nlohmann::json::parse_error& e) {
        std::string message = e.what();
        auto bracket = message.find("] ");
        if (bracket != std::string::npos) message = message.substr(bracket + 2);
        throw InputError(what + ": not valid JSON (" + message + ")");
    } catch (const nlohmann::json::out_of_range&) {
        // A number such as 1e999 that no double holds: valid JSON grammar, not a usable value.
        throw InputError(what + ": a number in the JSON is out of range");
    }
}

} // namespace ckimg
