#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ckimg {

namespace {

std::string without_trailing_slashes(std::string dir) {
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    return dir;
}

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

// The kubelet writes "<dir>/checkpoint-<pod>_<namespace>-<container>-<time>.tar": one name
// directly in the directory. Anything else (another directory, "..", a NUL) is refused as
// written, before anything is opened.
std::string name_in(const std::string& path, const std::string& dir) {
    const std::string where = "the kubelet's archive path \"" + path + "\"";
    const std::string prefix = dir == "/" ? dir : dir + "/";
    if (path.find('\0') != std::string::npos)
        throw InputError(where + " holds a NUL byte; refusing it");
    if (path.compare(0, prefix.size(), prefix) != 0)
        throw InputError(where + " is outside the checkpoints directory " + dir +
                         " (see --checkpoints-dir); refusing to read it");
    std::string name = path.substr(prefix.size());
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
        throw InputError(where + " is not a file directly in the checkpoints directory " + dir +
                         "; refusing to read it");
    return name;
}

} // namespace

CheckpointFile::CheckpointFile(const std::string& path, const std::string& checkpoints_dir)
    : path_(path) {
    const std::string dir = without_trailing_slashes(checkpoints_dir);
    name_ = name_in(path, dir);
    // The directory itself is the user's to choose (it may be a symbolic link on this node);
    // what the kubelet names inside it is not followed.
    dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) throw IoError(errno_message("cannot open the checkpoints directory " + dir));
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: nor a terminal adopt us.
    fd_ =
        ::openat(dir_fd_, name_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) {
        int error = errno;
        ::close(dir_fd_);
        if (error == ELOOP)
            throw InputError("the kubelet's archive " + path +
                             " is a symbolic link; refusing to follow it");
        errno = error;
        throw IoError(errno_message("cannot open the kubelet's archive " + path));
    }
    struct stat st {};
    std::string refusal;
    if (::fstat(fd_, &st) != 0)
        refusal = errno_message("cannot stat " + path);
    else if (!S_ISREG(st.st_mode))
        refusal = "the kubelet's archive " + path + " is " + kind_of(st.st_mode) +
                  ", not a regular file; refusing to read it";
    else if (st.st_nlink != 1)
        refusal = "the kubelet's archive " + path + " has " + std::to_string(st.st_nlink) +
                  " hard links (a runtime's fresh archive has one); refusing to read it";
    if (!refusal.empty()) {
        ::close(fd_);
        ::close(dir_fd_);
        throw InputError(refusal);
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

CheckpointFile::~CheckpointFile() {
    ::close(fd_);
    ::close(dir_fd_);
}

std::string CheckpointFile::descriptor_path() const {
    return "/dev/fd/" + std::to_string(fd_);
}

void CheckpointFile::remove() {
    struct stat opened {};
    struct stat named {};
    if (::fstat(fd_, &opened) != 0 ||
        ::fstatat(dir_fd_, name_.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0)
        throw IoError(errno_message("cannot remove " + path_));
    if (opened.st_dev != named.st_dev || opened.st_ino != named.st_ino)
        throw IoError("cannot remove " + path_ + ": the name now is another file; left as it is");
    if (::unlinkat(dir_fd_, name_.c_str(), 0) != 0)
        throw IoError(errno_message("cannot remove " + path_));
}

} // namespace ckimg
