#include <ckimg/error.hpp>
#include <ckimg/transport.hpp>

#include <filesystem>
#include <regex>

namespace ckimg {

namespace {

bool valid_tag(const std::string& tag) {
    static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    return std::regex_match(tag, pattern);
}

// An older ckimg ended the path at the last colon unless a '/' followed it: "oci:/srv/a:b/dir"
// was the directory "/srv/a:b/dir" and "oci:x:y:v1" the layout "x:y" tagged "v1". Under the
// first-colon rule those name "/srv/a" and "x"; refuse the text when only the old reading
// names something on disk, rather than silently create a new layout beside the user's.
void refuse_cut_path(const std::string& text, const std::string& rest, const LocalTarget& target) {
    auto colon = rest.rfind(':');
    auto old_path = colon != std::string::npos && rest.find('/', colon) == std::string::npos
                        ? rest.substr(0, colon)
                        : rest;
    std::error_code error;
    if (old_path == target.path || !std::filesystem::exists(old_path, error) ||
        std::filesystem::exists(target.path, error))
        return;
    throw UsageError("\"" + text + "\": the path ends at the first colon (as in skopeo and " +
                     "podman), so this names \"" + target.path + "\" with the image \"" +
                     target.tag + "\", not the existing \"" + old_path +
                     "\"; a path with a colon cannot be named: rename it or link to it");
}

} // namespace

bool valid_image_ref(const std::string& ref) {
    // image-spec's grammar of org.opencontainers.image.ref.name, as containers/image checks it:
    // components of alphanumerics joined by [-._:@+] or "--", separated by '/'.
    static const std::regex pattern("[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/"
                                    "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*");
    return ref.size() <= 4096 && (valid_tag(ref) || std::regex_match(ref, pattern));
}

bool is_bare_tag(const std::string& ref) {
    return valid_tag(ref);
}

std::string tag_of_image_ref(const std::string& ref) {
    if (ref.empty() || is_bare_tag(ref)) return ref;
    auto name = ref.substr(0, ref.find('@'));
    auto slash = name.rfind('/');
    auto colon = name.find(':', slash == std::string::npos ? 0 : slash);
    if (colon != std::string::npos) return name.substr(colon + 1);
    return name.size() == ref.size() ? "latest" : "";
}

std::string image_load_name(const std::string& ref, const std::string& repository) {
    if (ref.empty()) return "";
    if (!is_bare_tag(ref)) return ref;
    return repository.empty() ? "" : repository + ":" + ref;
}

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
                         "\": expected oci:DIR[:REF] or oci-archive:FILE[:REF]");
    }
    auto colon = rest.find(':');
    target.path = rest.substr(0, colon);
    if (target.path.empty()) throw UsageError("no path in \"" + text + "\"");
    if (colon == std::string::npos) return target;
    target.tag = rest.substr(colon + 1);
    refuse_cut_path(text, rest, target);
    if (!target.tag.empty() && !valid_image_ref(target.tag))
        throw UsageError("invalid image reference \"" + target.tag + "\" in \"" + text +
                         "\" (a tag such as v1, or a name such as localhost/counter:v1)");
    return target;
}

} // namespace ckimg
