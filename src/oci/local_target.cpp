#include <ckimg/error.hpp>
#include <ckimg/transport.hpp>

#include <regex>

namespace ckimg {

namespace {

bool valid_tag(const std::string& tag) {
    static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    return std::regex_match(tag, pattern);
}

} // namespace

bool is_local_target(const std::string& text) {
    return text.rfind("oci:", 0) == 0 || text.rfind("oci-archive:", 0) == 0;
}

LocalTarget parse_local_target(const std::string& text) {
    LocalTarget target;
    std::string rest;
    if (text.rfind("oci:", 0) == 0) {
        target.kind = LocalTarget::Kind::layout;
        rest = text.substr(4);
    } else if (text.rfind("oci-archive:", 0) == 0) {
        target.kind = LocalTarget::Kind::archive;
        rest = text.substr(12);
    } else {
        throw UsageError("invalid destination \"" + text +
                         "\": expected oci:DIR[:TAG] or oci-archive:FILE[:TAG]");
    }
    // The tag follows the last colon, unless what follows it is a path.
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
        target.tag = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        if (!valid_tag(target.tag))
            throw UsageError("invalid tag \"" + target.tag + "\" in \"" + text + "\"");
    }
    if (rest.empty()) throw UsageError("no path in \"" + text + "\"");
    target.path = rest;
    return target;
}

} // namespace ckimg
