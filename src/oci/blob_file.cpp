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
    fd_ = create_temp(blob_dir_, temp_path_, world_readable);
}

BlobFileWriter::~BlobFileWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_path_.c_str());
}

void BlobFileWriter::write(const std::uint8_t* data, std::size_t size) {
    if (fd_ < 0) throw Error("internal error: write after finish");
    write_all(fd_, data, size, temp_path_.string());
}

void BlobFileWriter::finish() {
    if (fd_ < 0) return;
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw IoError(errno_message("cannot write " + temp_path_.string()));
}

void BlobFileWriter::commit(const Digest& digest) {
    finish();
    auto final_path = blob_dir_ / digest.hex();
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

// A hard link shares the inode: only for a file of ours, on this filesystem, whose permissions
// are no wider than the blob's would be (a checkpoint holds process memory).
bool may_link(const struct stat& source, int blob_fd) {
    struct stat blob {};
    return ::fstat(blob_fd, &blob) == 0 && blob.st_dev == source.st_dev &&
           source.st_uid == ::geteuid() && (source.st_mode & 07777 & ~blob.st_mode) == 0;
}

// Links `path` (the file open as `fd`) next to `temp`; the link's name, or empty.
std::filesystem::path link_beside(const std::string& path, int fd,
                                  const std::filesystem::path& temp) {
    auto linked = temp;
    linked += ".link"; // unique as the mkstemp name it extends
    if (::linkat(AT_FDCWD, path.c_str(), AT_FDCWD, linked.c_str(), AT_SYMLINK_FOLLOW) != 0)
        return {};
    struct stat source {
    }, target{};
    if (::fstat(fd, &source) == 0 && ::stat(linked.c_str(), &target) == 0 &&
        source.st_dev == target.st_dev && source.st_ino == target.st_ino)
        return linked;
    ::unlink(linked.c_str()); // `path` names another file by now
    return {};
}

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
    if (::ioctl(fd_, FICLONE, fd) == 0) return; // copy-on-write: no data copied
    if (may_link(source, fd_)) {
        auto linked = link_beside(path, fd, temp_path_);
        if (!linked.empty()) {
            ::close(fd_);
            fd_ = -1;
            ::unlink(temp_path_.c_str());
            temp_path_ = linked;
            return;
        }
    }
    if (!copy_in_kernel(fd, fd_, size, path)) stream_file_into(*this, fd, path, size);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           bool world_readable) {
    std::filesystem::path temp;
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    int fd = create_temp(dir, temp, world_readable);
    try {
        write_all(fd, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                  temp.string());
        if (::fsync(fd) != 0 || ::close(fd) != 0) {
            fd = -1;
            throw IoError(errno_message("cannot write " + temp.string()));
        }
        fd = -1;
        if (::rename(temp.c_str(), path.c_str()) != 0)
            throw IoError(errno_message("cannot write " + path.string()));
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
}

} // namespace ckimg
