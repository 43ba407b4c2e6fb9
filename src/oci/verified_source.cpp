#include "oci/verified_source.hpp"

#include <ckimg/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ckimg {

namespace {

[[noreturn]] void fail_larger(const Descriptor& blob, const std::string& where) {
    throw InputError(where + ": blob " + blob.digest.str() + " is larger than the " +
                     std::to_string(blob.size) + " bytes its descriptor gives");
}

[[noreturn]] void fail_truncated(const Descriptor& blob, std::uint64_t received,
                                 const std::string& where) {
    throw InputError(where + ": blob " + blob.digest.str() + " is truncated: " +
                     std::to_string(received) + " of " + std::to_string(blob.size) + " bytes");
}

void check_digest(const Digest& actual, const Descriptor& blob, const std::string& where) {
    if (actual != blob.digest)
        throw InputError(where + ": blob " + blob.digest.str() +
                         " does not match its digest (the content hashes to " + actual.str() + ")");
}

} // namespace

void check_digest_algorithm(const Descriptor& blob, const std::string& where) {
    if (blob.digest.algorithm() != "sha256")
        throw InputError(where + ": blob " + blob.digest.str() +
                         ": only sha256 digests are supported");
}

void verify_bytes(std::string_view bytes, const Descriptor& blob, const std::string& where) {
    check_digest_algorithm(blob, where);
    auto size = static_cast<std::uint64_t>(blob.size);
    if (bytes.size() > size) fail_larger(blob, where);
    if (bytes.size() < size) fail_truncated(blob, bytes.size(), where);
    check_digest(sha256_of(bytes), blob, where);
}

struct VerifiedSource::State {
    std::unique_ptr<ByteSource> inner;
    Descriptor expected;
    std::string where;
    Sha256 hash;
    std::uint64_t received = 0;
    bool verified = false;
};

VerifiedSource::VerifiedSource(std::unique_ptr<ByteSource> inner, const Descriptor& expected,
                               std::string where)
    : state_(std::make_unique<State>()) {
    check_digest_algorithm(expected, where);
    state_->inner = std::move(inner);
    state_->expected = expected;
    state_->where = std::move(where);
}

VerifiedSource::~VerifiedSource() = default;

std::size_t VerifiedSource::read(std::uint8_t* buffer, std::size_t capacity) {
    auto& s = *state_;
    if (s.verified) return 0;
    auto n = s.inner->read(buffer, capacity);
    if (n == 0) {
        check_end();
        return 0;
    }
    s.received += n;
    auto size = static_cast<std::uint64_t>(s.expected.size);
    // Refused at once, not at the end: an endless stream must not fill a disk.
    if (s.received > size) fail_larger(s.expected, s.where);
    s.hash.update(buffer, n);
    return n;
}

void VerifiedSource::check_end() {
    auto& s = *state_;
    auto size = static_cast<std::uint64_t>(s.expected.size);
    if (s.received < size) fail_truncated(s.expected, s.received, s.where);
    check_digest(s.hash.finish(), s.expected, s.where);
    s.verified = true;
}

namespace {

class FileSource final : public ByteSource {
public:
    FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    ~FileSource() override { ::close(fd_); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        for (;;) {
            auto n = ::read(fd_, buffer, capacity);
            if (n >= 0) return static_cast<std::size_t>(n);
            if (errno != EINTR) throw IoError(errno_message("cannot read " + path_));
        }
    }

private:
    int fd_;
    std::string path_;
};

} // namespace

std::unique_ptr<ByteSource> open_blob_file(const std::filesystem::path& path,
                                           const Descriptor& blob, const std::string& where) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        throw InputError(where + ": blob " + blob.digest.str() + " is missing");
    if (fd < 0) throw IoError(errno_message("cannot open " + path.string()));
    return std::make_unique<FileSource>(fd, path.string());
}

std::string read_all(ByteSource& source, const Descriptor& blob) {
    std::string out;
    out.reserve(static_cast<std::size_t>(blob.size));
    char buffer[64 * 1024];
    for (;;) {
        auto n = source.read(reinterpret_cast<std::uint8_t*>(buffer), sizeof buffer);
        if (n == 0) return out;
        out.append(buffer, n);
    }
}

void check_size_limit(const Descriptor& blob, std::size_t limit, const std::string& where,
                      const char* what) {
    if (static_cast<std::uint64_t>(blob.size) <= limit) return;
    throw InputError(where + ": " + what + " " + blob.digest.str() + " is " +
                     std::to_string(blob.size) + " bytes, over the " + std::to_string(limit >> 20) +
                     " MiB limit");
}

} // namespace ckimg
