#include "oci/passthrough_layer.hpp"

#include "oci/blob_file.hpp"

#include <ckimg/compression.hpp>
#include <ckimg/digest.hpp>
#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "core/pipeline.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kReadChunk = 1 << 20;

class FileHandle {
public:
    explicit FileHandle(const std::string& path)
        : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ~FileHandle() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// Relative, without "." or ".." or empty components; a directory may end in one "/".
bool canonical_name(std::string_view name, bool directory) {
    if (directory && name.size() > 1 && name.back() == '/') name.remove_suffix(1);
    if (name.empty()) return false;
    for (std::size_t start = 0;;) {
        auto slash = name.find('/', start);
        auto part = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (part.empty() || part == "." || part == "..") return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

// Whether the layer tar that a rebuild would write holds this entry as the archive does.
bool layer_ready(archive_entry* entry) {
    const char* name = archive_entry_pathname(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    auto type = archive_entry_filetype(entry);
    if (name == nullptr || !canonical_name(name, type == AE_IFDIR)) return false;
    if (hardlink != nullptr) {
        if (!canonical_name(hardlink, false)) return false;
    } else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
        return false; // devices and FIFOs: the scan refuses them with the proper message
    }
    unsigned long set = 0, clear = 0;
    archive_entry_fflags(entry, &set, &clear);
    return archive_entry_sparse_count(entry) == 0 && archive_entry_xattr_count(entry) == 0 &&
           archive_entry_acl_types(entry) == 0 && set == 0 && clear == 0;
}

// Reads only the headers (data is skipped by seeking). Anything libarchive cannot read as a plain
// tar (compressed, truncated, corrupt) is "no": the usual build then reports it properly.
bool layer_shaped(int fd) {
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                  archive_read_free);
    if (!reader || archive_read_support_format_tar(reader.get()) != ARCHIVE_OK) return false;
    if (archive_read_open_fd(reader.get(), fd, std::size_t{64} << 10) != ARCHIVE_OK) return false;
    bool any = false;
    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF) return any && archive_filter_count(reader.get()) == 1;
        if (status != ARCHIVE_OK || !layer_ready(entry)) return false;
        any = true;
    }
}

// Plain tar, going by the ustar magic that every tar writer of the engines puts at offset 257.
bool looks_like_plain_tar(int fd) {
    char magic[5];
    return ::pread(fd, magic, sizeof magic, 257) == sizeof magic &&
           std::string_view(magic, sizeof magic) == "ustar";
}

// ctime moves on every write, so comparing it also catches a rewrite of the same size within the
// same mtime tick. It also moves when the link count changes, which our own hard link into the
// blob store does: then only one more link is allowed and the content checks stand alone.
bool same_file_state(const struct stat& before, const struct stat& after) {
    bool same_content = before.st_dev == after.st_dev && before.st_ino == after.st_ino &&
                        before.st_size == after.st_size &&
                        before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                        before.st_mtim.tv_nsec == after.st_mtim.tv_nsec;
    if (!same_content) return false;
    if (after.st_nlink == before.st_nlink + 1) return true;
    return after.st_nlink == before.st_nlink && before.st_ctim.tv_sec == after.st_ctim.tv_sec &&
           before.st_ctim.tv_nsec == after.st_ctim.tv_nsec;
}

} // namespace

namespace {

// The archive as a layer candidate: open, a regular file, layer-shaped. Everything else is "no".
struct Candidate {
    std::unique_ptr<FileHandle> file;
    struct stat before {};
};

std::optional<Candidate> qualify(CheckpointArchive& archive) {
    if (!archive.is_file()) return std::nullopt;
    Candidate candidate{std::make_unique<FileHandle>(archive.open_path())};
    int fd = candidate.file->get();
    if (fd < 0 || ::fstat(fd, &candidate.before) != 0 || !S_ISREG(candidate.before.st_mode))
        return std::nullopt;
    if (!looks_like_plain_tar(fd) || !layer_shaped(fd)) return std::nullopt;
    return candidate;
}

// What was validated, hashed and stored must be one and the same content.
void check_unchanged(const Candidate& candidate, const std::string& path) {
    struct stat after {};
    if (::fstat(candidate.file->get(), &after) != 0 || !same_file_state(candidate.before, after))
        throw InputError(path + ": the archive changed while it was being read");
}

// The file's bytes, in order, into `out` (a layer pipeline: hash, compress, store).
void stream_file(const CheckpointArchive& archive, int fd, std::uint64_t size, ByteSink& out) {
    const std::string& where = archive.path();
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    std::vector<std::uint8_t> buffer(kReadChunk);
    for (std::uint64_t done = 0; done < size;) {
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - done));
        auto got = ::pread(fd, buffer.data(), want, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw IoError(errno_message("cannot read " + where));
        if (got == 0) throw InputError(where + ": the archive changed while it was being read");
        out.write(buffer.data(), static_cast<std::size_t>(got));
        done += static_cast<std::uint64_t>(got);
        archive.throw_if_cancelled();
    }
}

Digest hash_file(const CheckpointArchive& archive, int fd, std::uint64_t size,
                 const ProgressCallback& progress, const std::string& label) {
    NullSink nowhere;
    HashingSink hashing(nowhere);
    ProgressSink counted(hashing, progress, label);
    stream_file(archive, fd, size, counted);
    counted.finish();
    return hashing.digest();
}

} // namespace

std::optional<Layer> passthrough_layer(CheckpointArchive& archive, ImageSink& sink,
                                       const ProgressCallback& progress, const std::string& label) {
    auto candidate = qualify(archive);
    if (!candidate) return std::nullopt;
    const std::string& path = archive.path();
    const std::string& reopen = archive.open_path();
    int fd = candidate->file->get();
    archive.scan([](ArchiveEntry&) {}); // validation and metadata; file data is skipped
    auto size = static_cast<std::uint64_t>(candidate->before.st_size);
    auto digest = hash_file(archive, fd, size, progress, label);
    // The layer is the archive's bytes: after a failed stream, the archive is what to read again.
    auto blob = sink.create_blob([reopen](const Digest&) { return std::filesystem::path(reopen); });
    write_file_into(*blob, fd, path, size);
    blob->finish();
    check_unchanged(*candidate, path);
    blob->commit(digest);

    Layer layer;
    layer.descriptor.media_type = layer_media_type(Compression::none);
    layer.descriptor.digest = digest;
    layer.descriptor.size = static_cast<std::int64_t>(size);
    layer.diff_id = digest;
    return layer;
}

std::optional<Layer>
passthrough_compressed(CheckpointArchive& archive,
                       const std::function<std::unique_ptr<LayerFactory::Stream>()>& begin_layer) {
    auto candidate = qualify(archive);
    if (!candidate) return std::nullopt;
    const std::string& path = archive.path();
    archive.scan([](ArchiveEntry&) {}); // validation and metadata; file data is skipped
    auto stream = begin_layer();
    stream_file(archive, candidate->file->get(),
                static_cast<std::uint64_t>(candidate->before.st_size), stream->tar());
    check_unchanged(*candidate, path);
    return stream->finish();
}

} // namespace ckimg
