#include "formats/entry_guard.hpp"

#include <ckimg/error.hpp>

#include "archive/entry_path.hpp"

namespace ckimg {

std::optional<std::string> EntryGuard::admit(const std::string& name, EntryType type,
                                             std::string& link_target) {
    auto path = normalize_entry_path(where_, name);
    if (!path) return std::nullopt;
    auto refuse = [&](const std::string& why) {
        throw InputError(where_ + ": entry \"" + *path + "\": " + why);
    };
    if (seen_.count(*path) != 0) refuse("duplicate entry");
    for (auto slash = path->find('/'); slash != std::string::npos;
         slash = path->find('/', slash + 1)) {
        auto parent = seen_.find(path->substr(0, slash));
        if (parent != seen_.end() && parent->second != EntryType::directory)
            refuse("parent \"" + parent->first + "\" is not a directory");
    }
    if (type == EntryType::symlink) check_symlink_target(where_, *path, link_target);
    if (type == EntryType::hardlink) {
        link_target = normalize_hardlink_target(where_, *path, link_target);
        auto earlier = seen_.find(link_target);
        if (earlier == seen_.end() || earlier->second != EntryType::file)
            refuse("hard link to a path that is not an earlier file");
    }
    seen_.emplace(*path, type);
    return path;
}

} // namespace ckimg
