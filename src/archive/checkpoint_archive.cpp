#include <ckimg/checkpoint.hpp>
#include <ckimg/error.hpp>

#include "archive/checkpoint_metadata.hpp"
#include "archive/entry_path.hpp"
#include "core/json_limits.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>

#include <unordered_map>
#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kReadBlock = 1 << 20;
constexpr std::size_t kMaxDumpSize = 16 << 20;
constexpr std::size_t kCoreHeadSize = 64;

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_pages_image(const std::string& path) {
    if (!starts_with(path, "checkpoint/") || !ends_with(path, ".img")) return false;
    auto name = path.substr(11);
    return starts_with(name, "pages-") || starts_with(name, "amdgpu-pages-");
}

// Streams one entry's data out of libarchive, keeping a copy of the first `keep` bytes.
class EntryData : public ByteSource {
public:
    EntryData(archive* reader, const std::string& where, std::string* keep, std::size_t limit)
        : reader_(reader), where_(where), keep_(keep), limit_(limit) {}

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        la_ssize_t got = archive_read_data(reader_, buffer, capacity);
        if (got < 0) {
            const char* why = archive_error_string(reader_);
            throw InputError(where_ + ": truncated or corrupt archive (" +
                             std::string(why ? why : "read error") + ")");
        }
        if (keep_ != nullptr && keep_->size() < limit_) {
            auto take = std::min(limit_ - keep_->size(), static_cast<std::size_t>(got));
            keep_->append(reinterpret_cast<const char*>(buffer), take);
        }
        return static_cast<std::size_t>(got);
    }

    void drain() {
        std::vector<std::uint8_t> scratch(64 << 10);
        while (read(scratch.data(), scratch.size()) != 0) {
        }
    }

private:
    archive* reader_;
    std::string where_;
    std::string* keep_;
    std::size_t limit_;
};

[[noreturn]] void throw_open_error(archive* reader, const std::string& where) {
    std::string why = archive_error_string(reader) ? archive_error_string(reader) : "unknown";
    if (why.find("Unrecognized archive format") != std::string::npos)
        throw InputError(where + ": not a tar archive (plain, gzip or zstd)");
    throw InputError(where + ": cannot read the archive (" + why + ")");
}

} // namespace

struct CheckpointArchive::Impl {
    archive* reader = nullptr;
    CheckpointInfo info;
    bool scanned = false;
    std::unordered_map<std::string, EntryType> seen;
    std::string config_text;
    std::string spec_text;
    std::string core_head;
    bool has_checkpoint_dir = false;

    void account(const ArchiveEntry& entry);
    std::string* capture_for(const std::string& where, const ArchiveEntry& entry,
                             std::size_t& limit);
    void finish(const std::string& where);

    ~Impl() {
        if (reader != nullptr) archive_read_free(reader);
    }
};

std::string engine_display_name(Engine engine) {
    switch (engine) {
    case Engine::crio: return "CRI-O";
    case Engine::containerd: return "containerd";
    case Engine::podman: return "Podman";
    }
    return "containerd";
}

CheckpointArchive::CheckpointArchive(std::string path)
    : path_(std::move(path)), impl_(std::make_unique<Impl>()) {
    auto* reader = archive_read_new();
    if (reader == nullptr) throw Error("cannot allocate an archive reader");
    impl_->reader = reader;
    archive_read_support_filter_gzip(reader);
    archive_read_support_filter_zstd(reader);
    archive_read_support_filter_none(reader);
    archive_read_support_format_tar(reader);
    if (path_ == "-") {
        if (archive_read_open_fd(reader, 0, kReadBlock) != ARCHIVE_OK)
            throw_open_error(reader, "standard input");
        return;
    }
    struct stat status {};
    if (::stat(path_.c_str(), &status) != 0) throw IoError(errno_message(path_));
    if (S_ISDIR(status.st_mode))
        throw InputError(path_ + ": is a directory, not a checkpoint archive");
    if (archive_read_open_filename(reader, path_.c_str(), kReadBlock) != ARCHIVE_OK) {
        throw_open_error(reader, path_);
    }
}

CheckpointArchive::~CheckpointArchive() = default;

const CheckpointInfo& CheckpointArchive::info() const {
    if (!impl_->scanned) throw Error("internal error: checkpoint metadata read before the scan");
    return impl_->info;
}

namespace {

EntryType entry_type_of(const std::string& where, const std::string& path, archive_entry* entry) {
    if (archive_entry_hardlink(entry) != nullptr) return EntryType::hardlink;
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG: return EntryType::file;
    case AE_IFDIR: return EntryType::directory;
    case AE_IFLNK: return EntryType::symlink;
    case AE_IFCHR:
    case AE_IFBLK: throw InputError(where + ": entry \"" + path + "\": device node refused");
    case AE_IFIFO: throw InputError(where + ": entry \"" + path + "\": FIFO refused");
    default: throw InputError(where + ": entry \"" + path + "\": unsupported entry type");
    }
}

// Refuses entries that would replace an earlier one or be written through a non-directory.
void check_against_earlier(const std::string& where, const std::string& path,
                           const std::unordered_map<std::string, EntryType>& seen) {
    if (seen.count(path) != 0)
        throw InputError(where + ": entry \"" + path + "\": duplicate entry");
    for (auto slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        auto parent = seen.find(path.substr(0, slash));
        if (parent != seen.end() && parent->second != EntryType::directory)
            throw InputError(where + ": entry \"" + path + "\": parent \"" + parent->first +
                             "\" is not a directory");
    }
}

ArchiveEntry describe_entry(archive_entry* entry, std::string path, EntryType type) {
    ArchiveEntry out;
    out.path = std::move(path);
    out.type = type;
    out.mode = static_cast<std::uint32_t>(archive_entry_perm(entry)) & 07777;
    out.uid = archive_entry_uid(entry);
    out.gid = archive_entry_gid(entry);
    const char* uname = archive_entry_uname(entry);
    const char* gname = archive_entry_gname(entry);
    out.uname = uname ? uname : "";
    out.gname = gname ? gname : "";
    out.mtime = archive_entry_mtime(entry);
    if (type == EntryType::file) {
        auto size = archive_entry_size(entry);
        out.size = size > 0 ? static_cast<std::uint64_t>(size) : 0;
    }
    if (type == EntryType::symlink) {
        const char* target = archive_entry_symlink(entry);
        out.link_target = target ? target : "";
    }
    return out;
}

} // namespace

void CheckpointArchive::scan(const std::function<void(ArchiveEntry&)>& visit) {
    if (impl_->scanned) throw Error("internal error: a checkpoint archive can be read once");
    auto& impl = *impl_;
    const std::string where = path_ == "-" ? "standard input" : path_;
    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(impl.reader, &entry);
        if (status == ARCHIVE_EOF) break;
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            const char* why = archive_error_string(impl.reader);
            std::string reason = why ? why : "unreadable header";
            if (impl.seen.empty() && reason.find("Unrecognized") != std::string::npos)
                throw InputError(where + ": not a tar archive (plain, gzip or zstd)");
            throw InputError(where + ": truncated or corrupt archive (" + reason + ")");
        }
        const char* raw_name = archive_entry_pathname(entry);
        auto path = normalize_entry_path(where, raw_name ? raw_name : "");
        if (!path) continue; // the "./" root entry itself
        auto type = entry_type_of(where, *path, entry);
        check_against_earlier(where, *path, impl.seen);
        auto described = describe_entry(entry, *path, type);
        if (type == EntryType::symlink) check_symlink_target(where, *path, described.link_target);
        if (type == EntryType::hardlink) {
            auto target = normalize_hardlink_target(where, *path, archive_entry_hardlink(entry));
            auto earlier = impl.seen.find(target);
            if (earlier == impl.seen.end() || earlier->second != EntryType::file)
                throw InputError(where + ": entry \"" + *path +
                                 "\": hard link to a path that is not an earlier file");
            described.link_target = target;
        }
        impl.seen.emplace(*path, type);
        impl.account(described);
        std::size_t limit = 0;
        std::string* keep = type == EntryType::file ? impl.capture_for(where, described, limit)
                                                    : nullptr;
        EntryData data(impl.reader, where, keep, limit);
        if (type == EntryType::file) described.data = &data;
        visit(described);
        if (type == EntryType::file && keep != nullptr) data.drain();
    }
    impl.finish(where);
}

void CheckpointArchive::Impl::account(const ArchiveEntry& entry) {
    ++info.entry_count;
    if (entry.path == "checkpoint" || starts_with(entry.path, "checkpoint/"))
        has_checkpoint_dir = true;
    if (entry.type != EntryType::file) return;
    info.total_size += entry.size;
    if (starts_with(entry.path, "checkpoint/")) info.criu_size += entry.size;
    if (is_pages_image(entry.path)) info.pages_size += entry.size;
    if (entry.path == "rootfs-diff.tar") info.rootfs_diff_size += entry.size;
}

// Keeps config.dump and spec.dump whole (bounded) and the head of the first CRIU core image.
std::string* CheckpointArchive::Impl::capture_for(const std::string& where,
                                                  const ArchiveEntry& entry, std::size_t& limit) {
    if (entry.path == "config.dump" || entry.path == "spec.dump") {
        if (entry.size > kMaxDumpSize)
            throw InputError(where + ": " + entry.path + " is " + std::to_string(entry.size) +
                             " bytes, over the 16 MiB limit for metadata");
        limit = kMaxDumpSize;
        return entry.path == "config.dump" ? &config_text : &spec_text;
    }
    if (core_head.empty() && starts_with(entry.path, "checkpoint/core-") &&
        ends_with(entry.path, ".img")) {
        limit = kCoreHeadSize;
        return &core_head;
    }
    return nullptr;
}

void CheckpointArchive::Impl::finish(const std::string& where) {
    auto require = [&](const char* name, bool present) {
        if (!present)
            throw InputError(where + ": no " + name +
                             " in the archive (not a container checkpoint archive)");
    };
    auto is_file = [&](const char* name) {
        auto it = seen.find(name);
        return it != seen.end() && it->second == EntryType::file;
    };
    require("config.dump", is_file("config.dump"));
    require("spec.dump", is_file("spec.dump"));
    require("checkpoint/ directory", has_checkpoint_dir);
    info.config_dump = parse_untrusted_json(config_text, where + ": config.dump");
    info.spec_dump = parse_untrusted_json(spec_text, where + ": spec.dump");
    info.host_arch = architecture_from_core_image(core_head);
    read_checkpoint_metadata(where, info);
    scanned = true;
}

} // namespace ckimg
