#include "oci/blob_file.hpp"

#include <ckimg/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

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
    committed_ = true;
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
