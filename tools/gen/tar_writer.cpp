#include "tar_writer.hpp"

#include <archive_entry.h>

#include <memory>

namespace ckimg::gen {

namespace {

using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

void describe(archive_entry* entry, const TarHeader& h) {
    archive_entry_set_pathname(entry, h.name.c_str());
    archive_entry_set_perm(entry, static_cast<mode_t>(h.mode));
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    archive_entry_set_mtime(entry, static_cast<time_t>(h.mtime), 0);
    switch (h.type) {
    case EntryType::File:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(h.size));
        break;
    case EntryType::Directory:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
    case EntryType::Symlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, h.link_target.c_str());
        break;
    case EntryType::Hardlink: // a '1' entry: no data, names another member
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, h.link_target.c_str());
        archive_entry_set_size(entry, 0);
        break;
    case EntryType::CharDevice:
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdevmajor(entry, h.dev_major);
        archive_entry_set_rdevminor(entry, h.dev_minor);
        break;
    }
}

} // namespace

TarWriter::TarWriter(ByteSink& out)
    : out_(out), output_{&out, nullptr}, archive_(archive_write_new()) {
    struct archive* a = archive_.get();
    // Restricted pax: plain USTAR unless a name, size or id needs an extension (Go's choice too).
    check(a, archive_write_set_format_pax_restricted(a), output_, "tar format");
    // Go's writer emits the two zero blocks and stops; libarchive would pad to 10 KiB.
    check(a, archive_write_set_bytes_per_block(a, 0), output_, "block size");
    check(a, archive_write_open2(a, &output_, nullptr, &ArchiveOutput::write, nullptr, nullptr),
          output_, "open tar writer");
}

TarWriter::~TarWriter() {
    if (!finished_) {
        archive_write_fail(archive_.get());
    }
}

void TarWriter::header(const TarHeader& h) {
    const EntryPtr entry(archive_entry_new(), &archive_entry_free);
    describe(entry.get(), h);
    check(archive_.get(), archive_write_header(archive_.get(), entry.get()), output_,
          h.name.c_str());
}

void TarWriter::data(const unsigned char* bytes, std::size_t size) {
    const la_ssize_t written = archive_write_data(archive_.get(), bytes, size);
    if (written < 0 || static_cast<std::size_t>(written) != size) {
        check(archive_.get(), ARCHIVE_FATAL, output_, "write tar data");
    }
}

void TarWriter::finish() {
    finished_ = true;
    check(archive_.get(), archive_write_close(archive_.get()), output_, "finish tar");
    out_.finish();
}

} // namespace ckimg::gen
