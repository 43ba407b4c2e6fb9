#include "oci/archive_file.hpp"
#include "core/pipe_size.hpp"

#include <ckimg/error.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

constexpr std::size_t kBlock = 1 << 20;

} // namespace

FdSink::FdSink(int fd, std::string name, const CancelToken* cancel)
    : fd_(fd), name_(std::move(name)), cancel_(cancel) {
    buffer_.reserve(kBlock);
    widen_pipe(fd_);
}

void FdSink::write(const std::uint8_t* data, std::size_t size) {
    if (cancel_ != nullptr) cancel_->throw_if_cancelled();
    bytes_ += size;
    if (buffer_.size() + size > kBlock) flush();
    if (size >= kBlock) {
        write_all(data, size); // large writes skip the buffer
        return;
    }
    buffer_.insert(buffer_.end(), data, data + size);
}

void FdSink::finish() {
    flush();
}

void FdSink::flush() {
    write_all(buffer_.data(), buffer_.size());
    buffer_.clear();
}

void FdSink::write_all(const std::uint8_t* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        ssize_t wrote = ::write(fd_, data + done, size - done);
        if (wrote < 0 && errno == EINTR) {
            if (cancel_ != nullptr) cancel_->throw_if_cancelled();
            continue;
        }
        if (wrote < 0) throw IoError(errno_message("writing " + name_));
        done += static_cast<std::size_t>(wrote);
    }
}

AtomicFile::AtomicFile(fs::path path, const CancelToken* cancel) : path_(std::move(path)) {
    struct stat status {};
    if (::stat(path_.c_str(), &status) == 0 && S_ISDIR(status.st_mode))
        throw UsageError(path_.string() + ": is a directory; name the archive file to write");
    auto dir = path_.has_parent_path() ? path_.parent_path() : fs::path(".");
    std::string pattern = (dir / ("." + path_.filename().string() + ".ckimg-XXXXXX")).string();
    fd_ = ::mkstemp(pattern.data()); // mode 0600
    if (fd_ < 0) throw IoError(errno_message("cannot create a file in " + dir.string()));
    temp_ = pattern;
    sink_ = std::make_unique<FdSink>(fd_, path_.string(), cancel);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::commit() {
    sink_->finish();
    if (::fsync(fd_) != 0) throw IoError(errno_message("writing " + path_.string()));
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw IoError(errno_message("writing " + path_.string()));
    if (::rename(temp_.c_str(), path_.c_str()) != 0)
        throw IoError(errno_message("cannot create " + path_.string()));
    temp_.clear();
}

} // namespace ckimg
