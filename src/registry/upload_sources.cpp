#include "registry/upload_sources.hpp"

#include <ckimg/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace ckimg::registry {

std::size_t BufferReader::read_at(std::uint64_t offset, char* buffer, std::size_t size) {
    if (offset < base_)
        throw RegistryError("cannot resume the upload: the registry lost bytes already sent");
    auto start = offset - base_;
    if (start >= bytes_.size()) return 0;
    auto n = std::min<std::size_t>(size, bytes_.size() - start);
    std::memcpy(buffer, bytes_.data() + start, n);
    return n;
}

Spool::Spool() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/ckimg-upload.XXXXXX";
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) throw IoError(errno_message("cannot create a temporary file in " + path_));
}

Spool::~Spool() {
    ::close(fd_);
    ::unlink(path_.c_str());
}

void Spool::write(const char* data, std::size_t size) {
    while (size > 0) {
        auto n = ::write(fd_, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoError(errno_message("cannot write " + path_));
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace ckimg::registry
