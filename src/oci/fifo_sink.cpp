#include "oci/fifo_sink.hpp"

#include <ckimg/error.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace ckimg {

namespace {

constexpr std::uint64_t kBlock = 512;
// The configuration entries come first in Podman's archives (after artifacts/ and the small
// devshm-checkpoint.tar); a prefix this long without them means an archive of another shape.
constexpr std::size_t kPrefixLimit = 16u << 20;

std::uint64_t round_up(std::uint64_t size) {
    return (size + kBlock - 1) / kBlock * kBlock;
}

// A tar header's size field: octal digits, or base-256 when the high bit of its first byte is
// set (GNU and PAX writers use that for sizes of 8 GiB and more).
std::uint64_t header_size(const std::uint8_t* header) {
    const std::uint8_t* field = header + 124;
    std::uint64_t value = 0;
    if ((field[0] & 0x80) != 0) {
        for (int i = 1; i < 12; ++i)
            value = (value << 8) | field[i];
        return value;
    }
    for (int i = 0; i < 12; ++i) {
        if (field[i] >= '0' && field[i] <= '7')
            value = value * 8 + (field[i] - '0');
        else if (field[i] != ' ' && field[i] != 0)
            throw InputError("bad tar header size");
    }
    return value;
}

std::string c_field(const std::uint8_t* data, std::size_t size) {
    const auto* begin = reinterpret_cast<const char*>(data);
    return {begin, static_cast<std::size_t>(std::find(begin, begin + size, '\0') - begin)};
}

// The path= record of PAX extended header data ("LEN path=VALUE\n" records), or "".
std::string pax_path(std::string_view records) {
    while (!records.empty()) {
        auto space = records.find(' ');
        if (space == std::string_view::npos) break;
        std::size_t length = 0;
        for (char c : records.substr(0, space))
            length = length * 10 + static_cast<std::size_t>(c - '0');
        if (length <= space || length > records.size()) break;
        auto record = records.substr(space + 1, length - space - 2); // without the newline
        if (record.substr(0, 5) == "path=") return std::string(record.substr(5));
        records.remove_prefix(length);
    }
    return {};
}

std::string_view without_dot_slash(std::string_view name) {
    while (name.substr(0, 2) == "./")
        name.remove_prefix(2);
    return name;
}

} // namespace

bool is_fifo(const std::filesystem::path& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 && S_ISFIFO(status.st_mode);
}

FifoSink::FifoSink(std::filesystem::path path, int config_readers, const CancelToken* cancel)
    : path_(std::move(path)), config_readers_(config_readers), cancel_(cancel) {
    struct stat status {};
    if (::stat(path_.c_str(), &status) != 0 || !S_ISFIFO(status.st_mode))
        throw UsageError(path_.string() + ": not a FIFO");
    mode_ = status.st_mode & 07777;
}

FifoSink::~FifoSink() {
    if (fd_ >= 0) ::close(fd_);
}

int FifoSink::open_reader() {
    for (;;) {
        if (cancel_ != nullptr) cancel_->throw_if_cancelled();
        int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC); // waits for a reader
        if (fd < 0 && errno == EINTR) continue;
        if (fd < 0) throw IoError(errno_message("opening " + path_.string()));
        // The reader holds this FIFO; the next one opens a new one.
        if (::unlink(path_.c_str()) != 0 || ::mkfifo(path_.c_str(), mode_) != 0) {
            int saved = errno;
            ::close(fd);
            errno = saved;
            throw IoError(errno_message("replacing the FIFO " + path_.string()));
        }
        return fd;
    }
}

void FifoSink::scan_headers() {
    while (config_seen_ != 3 && scanned_ + kBlock <= prefix_.size()) {
        const std::uint8_t* header = prefix_.data() + scanned_;
        if (std::all_of(header, header + kBlock, [](std::uint8_t b) { return b == 0; }))
            throw InputError(path_.string() + ": the archive ends before config.dump and "
                                              "spec.dump, which a Podman restore reads first");
        const std::uint64_t size = header_size(header);
        const std::uint64_t next = scanned_ + kBlock + round_up(size);
        if (next > prefix_.size()) return; // the entry's data is still to come
        const std::uint8_t* data = header + kBlock;
        const char type = static_cast<char>(header[156]);
        if (type == 'x' || type == 'L') {
            std::string_view content(reinterpret_cast<const char*>(data), size);
            long_name_ = type == 'x' ? pax_path(content) : c_field(data, size);
        } else if (type != 'g') {
            std::string name = long_name_;
            if (name.empty()) {
                name = c_field(header, 100);
                std::string prefix = c_field(header + 345, 155);
                if (std::string_view(reinterpret_cast<const char*>(header + 257), 5) == "ustar" &&
                    !prefix.empty())
                    name = prefix + "/" + name;
            }
            long_name_.clear();
            auto plain = without_dot_slash(name);
            if (plain == "config.dump" || plain == "spec.dump") {
                config_seen_ |= plain == "config.dump" ? 1 : 2;
                config_end_ = next;
            }
        }
        scanned_ = next;
    }
    if (config_seen_ != 3 && prefix_.size() > kPrefixLimit)
        throw InputError(path_.string() + ": config.dump and spec.dump are not within the "
                                          "archive's first 16 MiB (Podman writes them first)");
}

void FifoSink::serve_prefix() {
    static constexpr std::array<std::uint8_t, 2 * kBlock> kEnd{}; // the end-of-archive blocks
    for (int i = 0; i < config_readers_; ++i) {
        int fd = open_reader();
        try {
            FdSink reader(fd, path_.string(), cancel_);
            reader.write(prefix_.data(), config_end_);
            reader.write(kEnd.data(), kEnd.size());
            reader.finish();
        } catch (const IoError&) {
            // A reader that has what it needs may close before the padding: not an error here;
            // the reader of the whole archive is the one whose stream must be complete.
        }
        ::close(fd);
    }
    fd_ = open_reader();
    out_ = std::make_unique<FdSink>(fd_, path_.string(), cancel_);
    out_->write(prefix_.data(), prefix_.size());
    prefix_ = {};
}

void FifoSink::write(const std::uint8_t* data, std::size_t size) {
    bytes_ += size;
    if (!out_ && config_readers_ == 0) {
        fd_ = open_reader();
        out_ = std::make_unique<FdSink>(fd_, path_.string(), cancel_);
    }
    if (out_) {
        out_->write(data, size);
        return;
    }
    prefix_.insert(prefix_.end(), data, data + size);
    scan_headers();
    if (config_seen_ == 3) serve_prefix();
}

void FifoSink::finish() {
    if (!out_) {
        if (config_readers_ > 0)
            throw InputError(path_.string() + ": the archive has no config.dump and spec.dump, "
                                              "which a Podman restore reads first");
        fd_ = open_reader();
        out_ = std::make_unique<FdSink>(fd_, path_.string(), cancel_);
    }
    out_->finish();
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw IoError(errno_message("writing " + path_.string()));
}

} // namespace ckimg
