// Checks on archive entry names and link targets: what keeps a hostile archive inside the tree.
#pragma once

#include <optional>
#include <string>

namespace ckimg {

// Normalises an entry name ("./a/b/" -> "a/b"). Returns nullopt for the root entry ("./", ".").
// Throws InputError (with `archive` in the message) for absolute names, ".." components, empty
// components and names that are not valid UTF-8.
std::optional<std::string> normalize_entry_path(const std::string& archive,
                                                const std::string& name);

// Throws InputError when a symbolic link at `path` pointing at `target` would resolve outside
// the tree (absolute target, or ".." climbing above the root).
void check_symlink_target(const std::string& archive, const std::string& path,
                          const std::string& target);

// Normalises the target of a hard link at `path`; throws InputError when it names a path outside
// the tree.
std::string normalize_hardlink_target(const std::string& archive, const std::string& path,
                                      const std::string& target);

} // namespace ckimg
