#include "archive/entry_path.hpp"
#include "core/hex.hpp"

#include <ckimg/error.hpp>

#include <vector>

namespace ckimg {

namespace {

std::vector<std::string> split_components(const std::string& path) {
    std::vector<std::string> parts;
    std::string current;
    for (char c : path) {
        if (c == '/') {
            parts.push_back(current);
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    parts.push_back(current);
    return parts;
}

// Well-formed UTF-8 (Unicode 3.9, table 3-7): no overlong forms ("\xc0\xae" is a '.' that
// lenient decoders accept), no surrogates, nothing above U+10FFFF.
bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto lead = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        unsigned char low = 0x80, high = 0xbf; // range of the first continuation byte
        if (lead < 0x80)
            extra = 0;
        else if (lead >= 0xc2 && lead <= 0xdf)
            extra = 1;
        else if (lead >= 0xe0 && lead <= 0xef)
            extra = 2;
        else if (lead >= 0xf0 && lead <= 0xf4)
            extra = 3;
        else
            return false;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
        if (text.size() - i <= extra) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            auto c = static_cast<unsigned char>(text[i + k]);
            if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xbf)) return false;
        }
        i += extra + 1;
    }
    return true;
}

std::string quoted(const std::string& name) {
    std::string out = "\"";
    for (char c : name.substr(0, 200)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            out += hex_escape(u);
        } else {
            out += c;
        }
    }
    return out + (name.size() > 200 ? "...\"" : "\"");
}

[[noreturn]] void refuse(const std::string& archive, const std::string& name,
                         const std::string& why) {
    throw InputError(archive + ": entry " + quoted(name) + ": " + why);
}

} // namespace

std::optional<std::string> normalize_entry_path(const std::string& archive,
                                                const std::string& name) {
    if (name.empty()) refuse(archive, name, "empty name");
    if (name.front() == '/')
        refuse(archive, name, "absolute path (refusing to write outside the image)");
    if (!valid_utf8(name)) refuse(archive, name, "name is not valid UTF-8");
    if (name.size() >= 4096) refuse(archive, name, "name longer than PATH_MAX");
    std::string result;
    for (const auto& part : split_components(name)) {
        if (part.empty() || part == ".") continue;
        if (part == "..") refuse(archive, name, "\"..\" component (path traversal)");
        if (!result.empty()) result += '/';
        result += part;
    }
    if (result.empty()) return std::nullopt;
    return result;
}

void check_symlink_target(const std::string& archive, const std::string& path,
                          const std::string& target) {
    if (target.empty()) refuse(archive, path, "symbolic link with an empty target");
    if (target.front() == '/')
        refuse(archive, path, "symbolic link to the absolute path " + quoted(target));
    auto parts = split_components(path);
    long depth = static_cast<long>(parts.size()) - 1; // the link's directory
    for (const auto& part : split_components(target)) {
        if (part.empty() || part == ".") continue;
        depth += part == ".." ? -1 : 1;
        if (depth < 0)
            refuse(archive, path,
                   "symbolic link " + quoted(target) + " points outside the archive");
    }
}

std::string normalize_hardlink_target(const std::string& archive, const std::string& path,
                                      const std::string& target) {
    bool escapes = target.empty() || target.front() == '/';
    for (const auto& part : split_components(target))
        escapes = escapes || part == "..";
    if (escapes)
        refuse(archive, path, "hard link to " + quoted(target) + " points outside the archive");
    auto normalized = normalize_entry_path(archive, target);
    if (!normalized) refuse(archive, path, "hard link to the archive's root");
    return *normalized;
}

} // namespace ckimg
