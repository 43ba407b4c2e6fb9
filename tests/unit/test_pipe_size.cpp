// The pipes and FIFOs that carry checkpoints between ckimg and Podman are widened from the
// kernel's 64 KiB to 1 MiB (or the system's limit) wherever ckimg reads or writes one; files are
// left alone.
#include "archive/archive_input.hpp"
#include "core/pipe_size.hpp"
#include "core/temp_dir.hpp"
#include "oci/archive_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace {

int wanted_size() {
    std::ifstream limit("/proc/sys/fs/pipe-max-size");
    int size = 0;
    limit >> size;
    return std::min(size > 0 ? size : 1 << 20, 1 << 20);
}

struct Pipe {
    Pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
    ~Pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    int fds[2] = {-1, -1};
};

} // namespace

TEST_CASE("widen_pipe makes a pipe hold 1 MiB or the system's limit", "[pipe]") {
    Pipe pipe;
    const int before = ::fcntl(pipe.fds[0], F_GETPIPE_SZ);
    REQUIRE(before < wanted_size()); // the kernel's default, so the change below is ours
    ckimg::widen_pipe(pipe.fds[0]);
    CHECK(::fcntl(pipe.fds[0], F_GETPIPE_SZ) >= wanted_size());
    ckimg::widen_pipe(pipe.fds[1]); // already wide: left as it is
    CHECK(::fcntl(pipe.fds[1], F_GETPIPE_SZ) >= wanted_size());
}

TEST_CASE("widen_pipe leaves a regular file as it is", "[pipe]") {
    ckimg::TempDir dir("ckimg-pipe-size");
    auto path = dir.path() / "file";
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ckimg::widen_pipe(fd);
    CHECK(::write(fd, "abc", 3) == 3);
    struct stat status {};
    REQUIRE(::fstat(fd, &status) == 0);
    CHECK(status.st_size == 3);
    ::close(fd);
}

TEST_CASE("FdSink widens the pipe it writes into", "[pipe]") {
    Pipe pipe;
    ckimg::FdSink sink(pipe.fds[1], "a pipe");
    CHECK(::fcntl(pipe.fds[1], F_GETPIPE_SZ) >= wanted_size());
}

TEST_CASE("ArchiveInput widens the FIFO it reads from", "[pipe]") {
    ckimg::TempDir dir("ckimg-pipe-size");
    auto path = dir.path() / "fifo";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    // Opened for reading and writing, a FIFO does not wait for the other side (Linux), so the
    // test holds the writer's end without a second thread.
    int writer = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(writer >= 0);
    REQUIRE(::write(writer, "ustar", 5) == 5); // ArchiveInput reads its magic number at once
    {
        ckimg::ArchiveInput input(path.string());
        CHECK(::fcntl(writer, F_GETPIPE_SZ) >= wanted_size());
    }
    ::close(writer);
}
