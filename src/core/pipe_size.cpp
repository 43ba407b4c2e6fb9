#include "core/pipe_size.hpp"

#include <fcntl.h>

#include <fstream>

namespace ckimg {

namespace {

constexpr int kWanted = 1 << 20;

// An unprivileged process may widen a pipe up to this limit; beyond it F_SETPIPE_SZ fails.
int allowed_size() {
    std::ifstream limit("/proc/sys/fs/pipe-max-size");
    int size = 0;
    if (limit >> size && size > 0 && size < kWanted) return size;
    return kWanted;
}

} // namespace

void widen_pipe(int fd) {
    const int current = ::fcntl(fd, F_GETPIPE_SZ); // fails (EBADF) on anything but a pipe
    if (current < 0) return;
    const int wanted = allowed_size();
    if (current >= wanted) return;
    (void)::fcntl(fd, F_SETPIPE_SZ, wanted); // best effort, see the header
}

} // namespace ckimg
