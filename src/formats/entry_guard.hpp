// The rules a checkpoint archive's entries obey, applied to entries that come back out of an
// image (a layer tar, an entries list): what keeps a hostile image from writing outside the
// tree that a consumer of the exported archive extracts it into.
#pragma once

#include <ckimg/checkpoint.hpp>

#include <optional>
#include <string>
#include <unordered_map>

namespace ckimg {

class EntryGuard {
public:
    // `where` names the input in error messages ("layer sha256:... of oci:dir:tag").
    explicit EntryGuard(std::string where) : where_(std::move(where)) {}

    // Checks one entry and returns its normalised path, or nullopt for the root entry ("./").
    // Refuses absolute names, "..", duplicates, entries below a non-directory, symbolic links
    // out of the tree and hard links to anything but an earlier file (whose normalised path
    // replaces `link_target`). Throws InputError.
    std::optional<std::string> admit(const std::string& name, EntryType type,
                                     std::string& link_target);

    const std::string& where() const { return where_; }

private:
    std::string where_;
    std::unordered_map<std::string, EntryType> seen_;
};

} // namespace ckimg
