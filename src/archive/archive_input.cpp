#include "archive/archive_input.hpp"
#include "core/cancel.hpp"
#include "core/pipe_size.hpp"

#include <ckimg/compression.hpp>
#include <ckimg/error.hpp>

#include <archive.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ckimg {

namespace {

constexpr std::size_t kBlock = 1 << 20;
constexpr std::uint64_t kMaxTrailing = 1 << 20;
// How often a read from a pipe that brings nothing looks at the cancel flag.
constexpr int kCancelPollMs = 100;

// Waits until a pipe (or terminal, socket) has data or its end, looking at `cancel` meanwhile:
// a blocked read() is not woken by a signal that arrives just before it, and a signal handled
// by another thread does not wake it at all, so a stalled standard input would ignore Ctrl-C.
void wait_readable(int fd, const CancelToken* cancel) {
    if (cancel == nullptr) return;
    for (;;) {
        throw_if_cancelled(cancel);
        pollfd entry{fd, POLLIN, 0};
        int ready = ::poll(&entry, 1, kCancelPollMs);
        if (ready > 0) return; // readable, at its end, or in error: read() tells which
        if (ready < 0 && errno != EINTR) return;
    }
}

// A file descriptor as a ByteSource, handing out `prefix` (bytes already read) first.
class FdSource : public ByteSource {
public:
    // `cancel`, when not null, is watched while a read waits for data (pipes only).
    FdSource(int fd, std::string prefix, std::string what, const CancelToken* cancel)
        : fd_(fd), prefix_(std::move(prefix)), what_(std::move(what)), cancel_(cancel) {}

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        if (!prefix_.empty()) {
            auto n = std::min(capacity, prefix_.size());
            std::memcpy(buffer, prefix_.data(), n);
            prefix_.erase(0, n);
            return n;
        }
        while (true) {
            wait_readable(fd_, cancel_);
            auto got = ::read(fd_, buffer, capacity);
            if (got >= 0) return static_cast<std::size_t>(got);
            if (errno != EINTR) throw IoError(errno_message("cannot read " + what_));
        }
    }

private:
    int fd_;
    std::string prefix_;
    std::string what_;
    const CancelToken* cancel_;
};

// A stream as a ByteSource, handing out `prefix` (bytes already read from it) first.
class PrefixedSource : public ByteSource {
public:
    PrefixedSource(std::unique_ptr<ByteSource> inner, std::string prefix)
        : inner_(std::move(inner)), prefix_(std::move(prefix)) {}

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        if (prefix_.empty()) return inner_->read(buffer, capacity);
        auto n = std::min(capacity, prefix_.size());
        std::memcpy(buffer, prefix_.data(), n);
        prefix_.erase(0, n);
        return n;
    }

private:
    std::unique_ptr<ByteSource> inner_;
    std::string prefix_;
};

std::size_t read_fully(int fd, unsigned char* buffer, std::size_t size, off_t offset,
                       const CancelToken* cancel) {
    std::size_t done = 0;
    while (done < size) {
        if (offset < 0) wait_readable(fd, cancel);
        auto got = offset >= 0 ? ::pread(fd, buffer + done, size - done, offset + done)
                               : ::read(fd, buffer + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

} // namespace

struct ArchiveInput::Callbacks {
    static ByteSource& source(ArchiveInput& input) {
        return input.decompressed_ ? *input.decompressed_ : *input.raw_;
    }

    static la_ssize_t read(archive* reader, void* client, const void** block) {
        auto& input = *static_cast<ArchiveInput*>(client);
        try {
            auto got = source(input).read(input.buffer_.data(), input.buffer_.size());
            *block = input.buffer_.data();
            return static_cast<la_ssize_t>(got);
        } catch (const std::exception& error) {
            // Exceptions must not unwind through libarchive's C frames: the reason becomes
            // libarchive's error message (what every read error reports), the exception is kept.
            input.error_ = std::current_exception();
            archive_set_error(reader, EIO, "%s", error.what());
            return ARCHIVE_FATAL;
        }
    }

    // Plain regular files skip unread data (what `validate` does not need) by seeking.
    static la_int64_t skip(archive*, void* client, la_int64_t request) {
        auto& input = *static_cast<ArchiveInput*>(client);
        if (input.decompressed_ || !input.seekable_ || request <= 0) return 0;
        off_t here = ::lseek(input.fd_, 0, SEEK_CUR);
        if (here < 0) return 0;
        auto left = input.size_ > static_cast<std::uint64_t>(here)
                        ? input.size_ - static_cast<std::uint64_t>(here)
                        : 0;
        auto step = static_cast<off_t>(std::min<std::uint64_t>(left, request));
        if (::lseek(input.fd_, here + step, SEEK_SET) < 0) return 0;
        return step;
    }
};

ArchiveInput::ArchiveInput(const std::string& path, const CancelToken* cancel)
    : buffer_(kBlock), cancel_(cancel) {
    std::string what = path == "-" ? "standard input" : path;
    if (path == "-") {
        fd_ = 0;
    } else {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw IoError(errno_message(path));
        owned_ = true;
    }
    widen_pipe(fd_);
    struct stat status {};
    off_t offset = -1;
    if (::fstat(fd_, &status) == 0 && S_ISREG(status.st_mode)) {
        offset = ::lseek(fd_, 0, SEEK_CUR);
        seekable_ = offset >= 0;
        size_ = static_cast<std::uint64_t>(status.st_size);
    }
    // The magic number: peeked at in a file, read (and handed out again) from a pipe.
    unsigned char magic[4] = {};
    // A file's reads never wait for a writer: only a pipe's are watched for `cancel`.
    const CancelToken* watch = seekable_ ? nullptr : cancel;
    auto got = read_fully(fd_, magic, sizeof magic, seekable_ ? offset : -1, watch);
    std::string prefix;
    if (!seekable_) prefix.assign(reinterpret_cast<const char*>(magic), got);
    raw_ = std::make_unique<FdSource>(fd_, std::move(prefix), what, watch);
    detect_compression(magic, got);
}

ArchiveInput::ArchiveInput(std::unique_ptr<ByteSource> source, const CancelToken* cancel)
    : buffer_(kBlock), cancel_(cancel) {
    unsigned char magic[4] = {};
    std::size_t got = 0;
    while (got < sizeof magic) {
        auto n = source->read(magic + got, sizeof magic - got);
        if (n == 0) break;
        got += n;
    }
    raw_ = std::make_unique<PrefixedSource>(std::move(source),
                                            std::string(reinterpret_cast<const char*>(magic), got));
    detect_compression(magic, got);
}

void ArchiveInput::detect_compression(const unsigned char* magic, std::size_t got) {
    if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        decompressed_ = make_decompressor(Compression::gzip, *raw_);
    else if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
             magic[3] == 0xfd)
        decompressed_ = make_decompressor(Compression::zstd, *raw_);
}

ArchiveInput::~ArchiveInput() {
    if (owned_) ::close(fd_);
}

int ArchiveInput::open(archive* reader) {
    return archive_read_open2(reader, this, nullptr, &Callbacks::read, &Callbacks::skip, nullptr);
}

void ArchiveInput::rethrow_read_error(const std::string& where) const {
    if (!error_) return;
    try {
        std::rethrow_exception(error_);
    } catch (const InputError& error) {
        throw InputError(where + ": truncated or corrupt archive (" + error.what() + ")");
    }
}

void ArchiveInput::finish(const std::string& where) {
    std::uint64_t rest = 0;
    try {
        while (auto got = Callbacks::source(*this).read(buffer_.data(), buffer_.size())) {
            rest += got;
            if (rest > kMaxTrailing)
                throw Error("more than 1 MiB of data after the end-of-archive marker");
        }
    } catch (const Error& error) {
        if (dynamic_cast<const IoError*>(&error) != nullptr) throw;
        if (cancel_ != nullptr && cancel_->cancelled()) throw; // interrupted, not corrupt
        throw InputError(where + ": truncated or corrupt archive (" + error.what() + ")");
    }
}

} // namespace ckimg
