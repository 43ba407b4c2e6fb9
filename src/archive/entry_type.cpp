#include "archive/entry_type.hpp"

#include <ckimg/error.hpp>

#include <archive_entry.h>

namespace ckimg {

EntryType classify_entry(const std::string& where, const std::string& path, archive_entry* entry) {
    if (archive_entry_hardlink(entry) != nullptr) return EntryType::hardlink;
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
        return EntryType::file;
    case AE_IFDIR:
        return EntryType::directory;
    case AE_IFLNK:
        return EntryType::symlink;
    case AE_IFCHR:
    case AE_IFBLK:
        throw InputError(where + ": entry \"" + path + "\": device node refused");
    case AE_IFIFO:
        throw InputError(where + ": entry \"" + path + "\": FIFO refused");
    default:
        throw InputError(where + ": entry \"" + path + "\": unsupported entry type");
    }
}

} // namespace ckimg
