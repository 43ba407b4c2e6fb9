// The docker reference grammar (distribution/reference, reference.go) and Docker Hub's
// normalisation (normalize.go), written out by hand so that every rejection has a reason.
#include <ckimg/digest.hpp>
#include <ckimg/error.hpp>
#include <ckimg/reference.hpp>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace ckimg {

namespace {

constexpr std::string_view docker_prefix = "docker://";
constexpr std::string_view docker_hub = "docker.io";
constexpr std::size_t max_name_length = 255;
constexpr std::size_t max_tag_length = 128;

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) {
    return is_alnum(c) || c == '_';
}

[[noreturn]] void invalid(const std::string& text, const std::string& why) {
    throw UsageError("invalid reference \"" + text.substr(0, 300) + "\": " + why);
}

// path-component := alpha-numeric (separator alpha-numeric)*, separator := [_.] | __ | [-]+
bool valid_path_component(std::string_view part) {
    std::size_t i = 0;
    auto alnum_run = [&] {
        std::size_t start = i;
        while (i < part.size() && is_lower_alnum(part[i]))
            ++i;
        return i > start;
    };
    if (!alnum_run()) return false;
    while (i < part.size()) {
        std::size_t start = i;
        if (part[i] == '-') {
            while (i < part.size() && part[i] == '-')
                ++i;
        } else if (part.substr(i, 2) == "__") {
            i += 2;
        } else if (part[i] == '.' || part[i] == '_') {
            ++i;
        } else {
            return false;
        }
        if (i == start || !alnum_run()) return false;
    }
    return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view part) {
    if (part.empty() || !is_alnum(part.front()) || !is_alnum(part.back())) return false;
    return std::all_of(part.begin(), part.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_host(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        auto inner = host.substr(1, host.size() - 2);
        return std::all_of(inner.begin(), inner.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) || c == ':';
        });
    }
    std::size_t start = 0;
    while (true) {
        auto dot = host.find('.', start);
        if (!valid_domain_component(host.substr(start, dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

// domain := host [":" port-number]
bool valid_domain(std::string_view domain) {
    auto bracket = domain.rfind(']');
    auto colon = domain.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        auto port = domain.substr(colon + 1);
        if (port.empty() ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return false;
        domain = domain.substr(0, colon);
    }
    return valid_host(domain);
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > max_tag_length || !is_word(tag.front())) return false;
    return std::all_of(tag.begin(), tag.end(),
                       [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        auto slash = path.find('/', start);
        parts.push_back(path.substr(start, slash - start));
        if (slash == std::string_view::npos) return parts;
        start = slash + 1;
    }
}

// Docker's rule: the first component names a registry when it looks like a host (a dot, a port,
// "localhost", or uppercase letters, which a repository may not have).
bool looks_like_domain(std::string_view first) {
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
           std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

void split_name(const std::string& text, std::string_view name, Reference& ref) {
    auto slash = name.find('/');
    std::string_view remote = name;
    ref.registry = docker_hub;
    if (slash != std::string_view::npos && looks_like_domain(name.substr(0, slash))) {
        ref.registry = std::string(name.substr(0, slash));
        remote = name.substr(slash + 1);
        if (!valid_domain(ref.registry))
            invalid(text, "invalid registry host \"" + ref.registry + "\"");
    }
    if (ref.registry == "index.docker.io") ref.registry = docker_hub;
    ref.repository = std::string(remote);
    if (ref.registry == docker_hub && remote.find('/') == std::string_view::npos)
        ref.repository = "library/" + ref.repository;
    for (auto part : split_path(remote)) {
        if (!valid_path_component(part)) {
            bool upper =
                std::any_of(part.begin(), part.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
            invalid(text, upper
                              ? "repository name must be lowercase"
                              : "invalid repository path component \"" + std::string(part) + "\"");
        }
    }
    if (name.size() > max_name_length) invalid(text, "repository name longer than 255 characters");
}

} // namespace

Reference Reference::parse(const std::string& input) {
    std::string_view text = input;
    if (text.substr(0, docker_prefix.size()) == docker_prefix)
        text.remove_prefix(docker_prefix.size());
    if (text.empty()) invalid(input, "empty reference");
    Reference ref;
    if (auto at = text.find('@'); at != std::string_view::npos) {
        try {
            ref.digest = Digest::parse(text.substr(at + 1)).str();
        } catch (const InputError&) {
            invalid(input, "invalid digest");
        }
        text = text.substr(0, at);
    }
    auto last_slash = text.rfind('/');
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos &&
        (last_slash == std::string_view::npos || colon > last_slash)) {
        ref.tag = std::string(text.substr(colon + 1));
        if (!valid_tag(ref.tag)) invalid(input, "invalid tag \"" + ref.tag + "\"");
        text = text.substr(0, colon);
    }
    if (text.empty()) invalid(input, "missing repository name");
    split_name(input, text, ref);
    if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
    return ref;
}

std::string Reference::api_host() const {
    return registry == docker_hub ? std::string("registry-1.docker.io") : registry;
}

std::string Reference::str() const {
    std::string out = registry + "/" + repository;
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

std::string Reference::tag_or_digest() const {
    return tag.empty() ? digest : tag;
}

} // namespace ckimg
