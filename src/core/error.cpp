#include <ckimg/error.hpp>

#include <cerrno>
#include <cstring>

namespace ckimg {

std::string errno_message(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

} // namespace ckimg
