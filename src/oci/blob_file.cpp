#include "oci/blob_file.hpp"

#include <ckimg/error.hpp>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace ckimg {

namespace {

int create_temp(const std::filesystem::path& dir, std::filesystem::path& path,
                bool world_readable) {
    std::string pattern = (dir / ".ckimg-tmp-XXXXXX").string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw IoError(errno_message("cannot create a temporary file in " + dir.string()));
    if (world_readable) ::fchmod(fd, 0644);
    path = pattern;
    return fd;
}

// A file without a name in `dir` (O_TMPFILE): nothing is left behind whatever ends the process
// (a second SIGTERM kills at once, before any cleanup). -1 where the filesystem cannot.
std::string proc_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

int create_unnamed(const std::filesystem::path& dir, bool world_readable) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, world_readable ? 0644 : 0600);
    if (fd < 0) return -1;
    // Naming it later goes through /proc (linkat of /proc/self/fd/N): without /proc, a name now.
    if (::access(proc_path(fd).c_str(), F_OK) != 0) {
        ::close(fd);
        return -1;
    }
    if (world_readable) ::fchmod(fd, 0644); // the umask may have narrowed it
    return fd;
}

// Gives the open file `fd` the name `final_path`, replacing what is there. linkat refuses an
// existing name, so then it links under a temporary name and renames over: that name lives for
// the two system calls only.
void name_file(int fd, const std::filesystem::path& final_path, const char* what) {
    auto source = proc_path(fd);
    if (::linkat(AT_FDCWD, source.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW) == 0)
        return;
    if (errno != EEXIST) throw IoError(errno_message(what + final_path.string()));
    for (int attempt = 0;; ++attempt) {
        auto temp = (final_path.parent_path() /
                     (".ckimg-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(attempt)))
                        .string();
        if (::linkat(AT_FDCWD, source.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            if (errno == EEXIST && attempt < 100) continue;
            throw IoError(errno_message(what + final_path.string()));
        }
        if (::rename(temp.c_str(), final_path.c_str()) != 0) {
            auto message = errno_message(what + final_path.string());
            ::unlink(temp.c_str());
            throw IoError(message);
        }
        ::unlink(temp.c_str()); // still there when both names were one file already
        return;
    }
}

void write_all(int fd, const std::uint8_t* data, std::size_t size, const std::string& what) {
    while (size > 0) {
        auto written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            throw IoError(errno_message("cannot write " + what));
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

void stream_file_into(BlobWriter& writer, int fd, const std::string& path, std::uint64_t size) {
    std::vector<std::uint8_t> buffer(1 << 20);
    for (std::uint64_t done = 0; done < size;) {
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - done));
        auto got = ::pread(fd, buffer.data(), want, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw IoError(errno_message("cannot read " + path));
        if (got == 0) throw InputError(path + ": the file changed while it was being read");
        writer.write(buffer.data(), static_cast<std::size_t>(got));
        done += static_cast<std::uint64_t>(got);
    }
}

} // namespace

BlobFileWriter::BlobFileWriter(std::filesystem::path blob_dir, bool world_readable)
    : blob_dir_(std::move(blob_dir)) {
    fd_ = create_unnamed(blob_dir_, world_readable);
    if (fd_ >= 0) {
        unnamed_ = true;
        temp_path_ = proc_path(fd_); // readable (stored_path) for as long as fd_ is open
    } else {
        fd_ = create_temp(blob_dir_, temp_path_, world_readable);
    }
}

BlobFileWriter::~BlobFileWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !unnamed_) ::unlink(temp_path_.c_str());
}

void BlobFileWriter::write(const std::uint8_t* data, std::size_t size) {
    if (fd_ < 0 || finished_) throw Error("internal error: write after finish");
    write_all(fd_, data, size, (blob_dir_ / "(new blob)").string());
}

void BlobFileWriter::finish() {
    if (fd_ < 0 || finished_) return;
    finished_ = true;
    // An unnamed file stays open until commit() names it: closing it would lose it.
    if (unnamed_) return;
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw IoError(errno_message("cannot write " + temp_path_.string()));
}

void BlobFileWriter::commit(const Digest& digest) {
    finish();
    auto final_path = blob_dir_ / digest.hex();
    if (unnamed_) {
        name_file(fd_, final_path, "cannot store blob ");
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) throw IoError(errno_message("cannot write " + final_path.string()));
        committed_ = true;
        return;
    }
    if (::rename(temp_path_.c_str(), final_path.c_str()) != 0)
        throw IoError(errno_message("cannot store blob " + final_path.string()));
    // rename() does nothing when both names are links to one file (a hard-linked blob stored
    // before): the temporary name is then still there.
    ::unlink(temp_path_.c_str());
    committed_ = true;
}

void write_file_into(BlobWriter& writer, int fd, const std::string& path, std::uint64_t size) {
    if (auto* files = dynamic_cast<FileBlobWriter*>(&writer))
        return files->write_file(fd, path, size);
    stream_file_into(writer, fd, path, size);
}

namespace {

// copy_file_range: the kernel copies (or shares) the pages, nothing passes through user space.
// false when it cannot start (an old kernel across filesystems, a filesystem without it).
bool copy_in_kernel(int from, int to, std::uint64_t size, const std::string& what) {
    loff_t offset = 0;
    while (static_cast<std::uint64_t>(offset) < size) {
        auto n = ::copy_file_range(from, &offset, to, nullptr,
                                   static_cast<std::size_t>(size - offset), 0);
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        if (n < 0 && offset == 0) return false;
        if (n == 0) throw InputError(what + ": the file changed while it was being read");
        throw IoError(errno_message("cannot copy " + what));
    }
    return true;
}

} // namespace

void BlobFileWriter::write_file(int fd, const std::string& path, std::uint64_t size) {
    struct stat source {};
    if (fd_ < 0 || ::fstat(fd, &source) != 0 || static_cast<std::uint64_t>(source.st_size) != size)
        return stream_file_into(*this, fd, path, size);
    // Never a hard link: the blob would be the user's archive itself, and rewriting the archive
    // in place later (a new checkpoint exported to the same name) would silently change a blob
    // that the layout's digests still name. A reflink shares the data copy-on-write.
    if (::ioctl(fd_, FICLONE, fd) == 0) return;
    if (!copy_in_kernel(fd, fd_, size, path)) stream_file_into(*this, fd, path, size);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           bool world_readable) {
    std::filesystem::path temp;
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    int fd = create_unnamed(dir, world_readable);
    bool unnamed = fd >= 0;
    if (!unnamed) fd = create_temp(dir, temp, world_readable);
    try {
        write_all(fd, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                  path.string());
        if (::fsync(fd) != 0) throw IoError(errno_message("cannot write " + path.string()));
        if (unnamed) name_file(fd, path, "cannot write ");
        int done = fd;
        fd = -1;
        if (::close(done) != 0) throw IoError(errno_message("cannot write " + path.string()));
        if (!unnamed && ::rename(temp.c_str(), path.c_str()) != 0)
            throw IoError(errno_message("cannot write " + path.string()));
    } catch (...) {
        if (fd >= 0) ::close(fd);
        if (!unnamed) ::unlink(temp.c_str());
        throw;
    }
}

} // namespace ckimg
