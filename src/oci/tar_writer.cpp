#include "oci/tar_writer.hpp"

#include <ckimg/error.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

namespace ckimg {

namespace {

la_ssize_t write_callback(archive*, void* client, const void* data, size_t size) {
    auto* output = static_cast<TarWriter::Output*>(client);
    if (output->discard) return static_cast<la_ssize_t>(size);
    try {
        output->sink->write(static_cast<const std::uint8_t*>(data), size);
        return static_cast<la_ssize_t>(size);
    } catch (...) {
        output->error = std::current_exception();
        return -1;
    }
}

struct EntryDeleter {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

} // namespace

void TarWriter::check(int status, const std::string& what) {
    if (output_.error) std::rethrow_exception(output_.error);
    if (status < ARCHIVE_WARN) {
        const char* why = archive_error_string(writer_);
        throw Error("writing the layer tar failed at " + what + ": " + (why ? why : "unknown"));
    }
}

TarWriter::TarWriter(ByteSink& out) : writer_(archive_write_new()), output_{&out, nullptr} {
    if (writer_ == nullptr) throw Error("cannot allocate a tar writer");
    archive_write_set_format_pax_restricted(writer_);
    archive_write_set_bytes_per_block(writer_, 10240);
    // No padding after the end-of-archive blocks, as Go's archive/tar (CRI-O, Podman, buildah)
    // writes: an exported archive then has the original's length, and layers are no larger.
    archive_write_set_bytes_in_last_block(writer_, 1);
    check(archive_write_open2(writer_, &output_, nullptr, write_callback, nullptr, nullptr),
          "open");
}

TarWriter::~TarWriter() {
    // Unfinished (an error on the way): the sink must see no more bytes, but the writer is still
    // closed, because libarchive 3.6 frees its block buffer only in close, which
    // archive_write_free skips once the writer has failed.
    if (!finished_) {
        output_.discard = true;
        archive_write_close(writer_);
    }
    archive_write_free(writer_);
}

void TarWriter::add(const ArchiveEntry& entry, const std::string& path) {
    EntryPtr header(archive_entry_new());
    const std::string& name = path.empty() ? entry.path : path;
    archive_entry_set_pathname(header.get(), name.c_str());
    archive_entry_set_uid(header.get(), entry.uid);
    archive_entry_set_gid(header.get(), entry.gid);
    archive_entry_set_mtime(header.get(), entry.mtime, 0);
    switch (entry.type) {
    case EntryType::file:
        archive_entry_set_filetype(header.get(), AE_IFREG);
        archive_entry_set_size(header.get(), static_cast<la_int64_t>(entry.size));
        break;
    case EntryType::directory:
        archive_entry_set_filetype(header.get(), AE_IFDIR);
        break;
    case EntryType::symlink:
        archive_entry_set_filetype(header.get(), AE_IFLNK);
        archive_entry_set_symlink(header.get(), entry.link_target.c_str());
        break;
    case EntryType::hardlink:
        archive_entry_set_filetype(header.get(), AE_IFREG);
        archive_entry_set_hardlink(header.get(), entry.link_target.c_str());
        break;
    }
    archive_entry_set_perm(header.get(), entry.mode);
    check(archive_write_header(writer_, header.get()), name);
    if (entry.type != EntryType::file || entry.data == nullptr) return;
    std::vector<std::uint8_t> buffer(1 << 20);
    std::uint64_t copied = 0;
    while (std::size_t got = entry.data->read(buffer.data(), buffer.size())) {
        check(archive_write_data(writer_, buffer.data(), got) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK,
              name);
        copied += got;
    }
    if (copied != entry.size)
        throw InputError("entry \"" + name + "\" is shorter than its header says");
}

void TarWriter::add_file(const std::string& path, std::string_view content, std::uint32_t mode,
                         std::int64_t mtime) {
    EntryPtr header(archive_entry_new());
    archive_entry_set_pathname(header.get(), path.c_str());
    archive_entry_set_filetype(header.get(), AE_IFREG);
    archive_entry_set_perm(header.get(), mode);
    archive_entry_set_size(header.get(), static_cast<la_int64_t>(content.size()));
    archive_entry_set_mtime(header.get(), mtime, 0);
    check(archive_write_header(writer_, header.get()), path);
    if (!content.empty())
        check(archive_write_data(writer_, content.data(), content.size()) < 0 ? ARCHIVE_FATAL
                                                                              : ARCHIVE_OK,
              path);
}

void TarWriter::finish() {
    check(archive_write_close(writer_), "end of archive");
    finished_ = true;
}

} // namespace ckimg
