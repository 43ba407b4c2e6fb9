#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>

#include "archive/entry_path.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

[[noreturn]] void fail(archive* a, const std::string& what) {
    const char* why = archive_error_string(a);
    throw IoError(what + ": " + (why ? why : "archive error"));
}

fs::path make_work_dir(const fs::path& file) {
    auto parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    std::string pattern = (parent / ".ckimg-archive-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw IoError(errno_message("cannot create a work directory in " + parent.string()));
    return pattern;
}

// Lists the layout's files in a fixed order so the same layout packs to the same bytes.
std::vector<fs::path> layout_files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file() &&
            entry.path().filename().string().rfind(".ckimg-tmp-", 0) != 0)
            files.push_back(fs::relative(entry.path(), dir));
    std::sort(files.begin(), files.end());
    return files;
}

void add_file(archive* writer, const fs::path& dir, const fs::path& relative) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, relative.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(fs::file_size(dir / relative)));
    int status = archive_write_header(writer, entry);
    archive_entry_free(entry);
    if (status != ARCHIVE_OK) fail(writer, "cannot pack " + relative.string());
    std::ifstream in(dir / relative, std::ios::binary);
    std::vector<char> buffer(1 << 20);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount()) {
        if (archive_write_data(writer, buffer.data(), static_cast<size_t>(in.gcount())) < 0)
            fail(writer, "cannot pack " + relative.string());
    }
}

void pack_layout(const fs::path& dir, const fs::path& file, bool world_readable) {
    auto parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    std::string temp = (parent / ".ckimg-tmp-XXXXXX").string();
    int fd = ::mkstemp(temp.data());
    if (fd < 0)
        throw IoError(errno_message("cannot create a temporary file in " + parent.string()));
    if (world_readable) ::fchmod(fd, 0644);
    try {
        ArchivePtr writer(archive_write_new());
        archive_write_set_format_pax_restricted(writer.get());
        if (archive_write_open_fd(writer.get(), fd) != ARCHIVE_OK) fail(writer.get(), temp);
        for (const auto& relative : layout_files(dir))
            add_file(writer.get(), dir, relative);
        if (archive_write_close(writer.get()) != ARCHIVE_OK) fail(writer.get(), temp);
        if (::fsync(fd) != 0) throw IoError(errno_message("cannot write " + temp));
        ::close(fd);
        fd = -1;
        if (::rename(temp.c_str(), file.c_str()) != 0)
            throw IoError(errno_message("cannot write " + file.string()));
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
}

} // namespace

void unpack_oci_archive(const fs::path& file, const fs::path& dir) {
    ArchivePtr reader(archive_read_new());
    archive_read_support_format_tar(reader.get());
    archive_read_support_filter_none(reader.get());
    if (archive_read_open_filename(reader.get(), file.c_str(), 1 << 20) != ARCHIVE_OK)
        throw InputError(file.string() + ": cannot open the OCI archive");
    archive_entry* entry = nullptr;
    std::vector<char> buffer(1 << 20);
    int status;
    while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
        const char* name = archive_entry_pathname(entry);
        auto path = normalize_entry_path(file.string(), name != nullptr ? name : "");
        if (!path) continue;
        std::error_code error;
        if (archive_entry_filetype(entry) == AE_IFDIR) {
            fs::create_directories(dir / *path, error);
            if (error)
                throw InputError(file.string() + ": entry \"" + *path +
                                 "\" clashes with an earlier file (not an OCI archive)");
            continue;
        }
        if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry))
            throw InputError(file.string() + ": entry \"" + *path +
                             "\" is not a regular file (not an OCI archive)");
        fs::create_directories((dir / *path).parent_path(), error);
        if (error || fs::is_directory(dir / *path))
            throw InputError(file.string() + ": entry \"" + *path +
                             "\" clashes with an earlier entry (not an OCI archive)");
        std::ofstream out(dir / *path, std::ios::binary | std::ios::trunc);
        la_ssize_t got;
        while ((got = archive_read_data(reader.get(), buffer.data(), buffer.size())) > 0)
            out.write(buffer.data(), got);
        if (got < 0) throw InputError(file.string() + ": truncated or corrupt OCI archive");
        if (!out) throw IoError(errno_message("cannot write " + (dir / *path).string()));
    }
    if (status != ARCHIVE_EOF) throw InputError(file.string() + ": not a valid OCI archive (tar)");
    // An archive cut between two entries reads as a whole one to libarchive; the end-of-archive
    // marker moves the position past the last header's start (see checkpoint_archive.cpp).
    if (archive_filter_bytes(reader.get(), 0) <= archive_read_header_position(reader.get()))
        throw InputError(file.string() + ": truncated or corrupt OCI archive (no end-of-archive "
                                         "marker)");
}

OciArchiveSink::OciArchiveSink(fs::path file, bool world_readable)
    : file_(std::move(file)), work_dir_(make_work_dir(file_)), world_readable_(world_readable) {
    try {
        if (fs::exists(file_)) unpack_oci_archive(file_, work_dir_);
        layout_ = OciLayout::open(work_dir_, true, world_readable_);
    } catch (...) {
        fs::remove_all(work_dir_);
        throw;
    }
}

OciArchiveSink::~OciArchiveSink() {
    std::error_code ignored;
    fs::remove_all(work_dir_, ignored);
}

void OciArchiveSink::commit() {
    pack_layout(work_dir_, file_, world_readable_);
}

std::string OciArchiveSink::describe(const std::string& tag) const {
    return "oci-archive:" + file_.string() + (tag.empty() ? "" : ":" + tag);
}

} // namespace ckimg
