// Shared by the libFuzzer targets (docs/reliability.md): inputs handed to code that reads files,
// and the rule every target enforces: a hostile input may only end in a ckimg::Error. Any other
// exception (a JSON type_error, std::out_of_range...) escapes, aborts and is a finding, like a
// crash, a leak or undefined behaviour.
#pragma once

#include <ckimg/error.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ckimg::fuzz {

// The input as a file in memory (memfd), named by its /proc/self/fd path.
class MemoryFile {
public:
    MemoryFile(const std::uint8_t* data, std::size_t size) {
        fd_ = ::memfd_create("ckimg-fuzz", MFD_CLOEXEC);
        if (fd_ < 0) std::abort();
        std::size_t done = 0;
        while (done < size) {
            auto written = ::write(fd_, data + done, size - done);
            if (written <= 0) std::abort();
            done += static_cast<std::size_t>(written);
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~MemoryFile() { ::close(fd_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    const std::string& path() const { return path_; }

private:
    int fd_ = -1;
    std::string path_;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits the input at the first NUL byte: several documents in one input.
inline std::string_view take_part(std::string_view& rest) {
    auto nul = rest.find('\0');
    auto part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    return part;
}

// Runs `body`; a ckimg::Error is the expected answer to a bad input, and must say something.
template <typename Body> void expect_only_errors(Body&& body) {
    try {
        body();
    } catch (const ckimg::Error& error) {
        if (std::string_view(error.what()).empty()) std::abort();
    }
}

} // namespace ckimg::fuzz
