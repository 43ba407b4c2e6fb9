#include "sinks.hpp"

#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace ckimg::gen {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

} // namespace

FileSink::FileSink(const std::string& path, bool hash) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        throw_errno("cannot create " + path);
    }
    // O_CREAT leaves an existing file's mode alone; the result must not depend on that. Only
    // regular files: -o /dev/stdout must not chmod the terminal.
    struct stat info {};
    if (::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode) && ::fchmod(fd_, 0600) != 0) {
        throw_errno("cannot chmod " + path);
    }
    if (hash) {
        hash_.emplace();
    }
}

FileSink::~FileSink() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void FileSink::write(const unsigned char* data, std::size_t size) {
    if (hash_) {
        hash_->update(data, size);
    }
    size_ += size;
    while (size > 0) {
        const ssize_t written = ::write(fd_, data, size);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            throw_errno("cannot write the archive");
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

void FileSink::finish() {
    if (hash_) {
        digest_ = hash_->hex_digest();
        hash_.reset();
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        throw_errno("cannot close the archive");
    }
}

void TruncatingSink::write(const unsigned char* data, std::size_t size) {
    std::size_t keep = size;
    if (limit_) {
        keep = *limit_ <= offset_
                   ? 0
                   : static_cast<std::size_t>(std::min<std::uint64_t>(size, *limit_ - offset_));
    }
    offset_ += size;
    if (keep > 0) {
        next_.write(data, keep);
    }
}

la_ssize_t ArchiveOutput::write(struct archive*, void* self, const void* buffer, size_t size) {
    auto* output = static_cast<ArchiveOutput*>(self);
    try {
        output->sink->write(static_cast<const unsigned char*>(buffer), size);
        return static_cast<la_ssize_t>(size);
    } catch (...) {
        output->error = std::current_exception();
        return -1;
    }
}

void check(struct archive* archive, int status, ArchiveOutput& output, const char* what) {
    if (status == ARCHIVE_OK) {
        return;
    }
    if (output.error) {
        std::rethrow_exception(std::exchange(output.error, nullptr));
    }
    const char* detail = archive_error_string(archive);
    throw std::runtime_error(std::string(what) + ": " + (detail ? detail : "libarchive error"));
}

CompressingSink::CompressingSink(ByteSink& next, Compression compression)
    : next_(next), output_{&next, nullptr}, archive_(archive_write_new()) {
    struct archive* a = archive_.get();
    check(a, archive_write_set_format_raw(a), output_, "raw format");
    if (compression == Compression::Gzip) {
        check(a, archive_write_add_filter_gzip(a), output_, "gzip filter");
        // A NULL value turns the option off: no mtime in the gzip header.
        check(a, archive_write_set_filter_option(a, "gzip", "timestamp", nullptr), output_,
              "gzip options");
    } else {
        check(a, archive_write_add_filter_zstd(a), output_, "zstd filter");
    }
    check(a, archive_write_set_bytes_per_block(a, 0), output_, "block size");
    check(a, archive_write_open2(a, &output_, nullptr, &ArchiveOutput::write, nullptr, nullptr),
          output_, "open compressor");
    const std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                              &archive_entry_free);
    archive_entry_set_pathname(entry.get(), "data");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    check(a, archive_write_header(a, entry.get()), output_, "compressor header");
}

CompressingSink::~CompressingSink() {
    if (!finished_) {
        archive_write_fail(archive_.get()); // error path: nothing more may reach the sink
    }
}

void CompressingSink::write(const unsigned char* data, std::size_t size) {
    const la_ssize_t written = archive_write_data(archive_.get(), data, size);
    if (written < 0 || static_cast<std::size_t>(written) != size) {
        check(archive_.get(), ARCHIVE_FATAL, output_, "compress");
    }
}

void CompressingSink::finish() {
    finished_ = true;
    check(archive_.get(), archive_write_close(archive_.get()), output_, "finish compression");
    next_.finish();
}

} // namespace ckimg::gen
