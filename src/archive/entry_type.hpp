// What kind of entry a tar header describes, as ckimg accepts them: files, directories and
// links; device nodes, FIFOs and anything else are refused, whatever the archive is (a
// checkpoint archive being built or a layer being exported).
#pragma once

#include <ckimg/checkpoint.hpp>

#include <string>

struct archive_entry;

namespace ckimg {

// Throws InputError naming `where` and the entry's `path` for a kind ckimg refuses.
EntryType classify_entry(const std::string& where, const std::string& path, archive_entry* entry);

} // namespace ckimg
