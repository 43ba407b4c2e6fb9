#include <ckimg/checkpoint.hpp>
#include <ckimg/error.hpp>

#include "archive/archive_input.hpp"
#include "archive/checkpoint_metadata.hpp"
#include "archive/entry_path.hpp"
#include "archive/entry_type.hpp"
#include "core/cancel.hpp"
#include "core/checked_math.hpp"
#include "core/json_limits.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>

#include <unordered_map>
#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kMaxDumpSize = 16 << 20;
constexpr std::size_t kCoreHeadSize = 64;
// What the scan keeps per entry (its name) is bounded, so that a small compressed archive of
// millions of headers cannot exhaust memory: far more than any checkpoint holds.
constexpr std::size_t kMaxEntries = 200000;
constexpr std::uint64_t kMaxNameBytes = 32 << 20;

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

// Why libarchive failed, for "<archive>: truncated or corrupt archive (<why>)". Its truncation
// messages depend on whether data was read or skipped ("Truncated tar archive", "Truncated
// input file (needed 4608 bytes, only 2198 available)"), so that validate, build and a pipe
// would tell one cut three ways: they all say where it is instead.
std::string read_problem(archive* reader, const std::string& last_entry) {
    const char* why = archive_error_string(reader);
    std::string reason = why != nullptr ? why : "read error";
    if (reason.rfind("Truncated", 0) != 0) return reason;
    if (last_entry.empty()) return "it ends early, in the first header";
    return "it ends early, in or after entry \"" + last_entry + "\"";
}

// Streams one entry's data out of libarchive, keeping a copy of the first `keep` bytes.
class EntryData : public ByteSource {
public:
    EntryData(archive* reader, const std::string& where, std::string* keep, std::size_t limit,
              const CancelToken* cancel, std::string entry = "")
        : reader_(reader), where_(where), keep_(keep), limit_(limit), cancel_(cancel),
          entry_(std::move(entry)) {}

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        throw_if_cancelled(cancel_);
        la_ssize_t got = archive_read_data(reader_, buffer, capacity);
        throw_if_cancelled(cancel_);
        if (got < 0)
            throw InputError(where_ + ": truncated or corrupt archive (" +
                             read_problem(reader_, entry_) + ")");
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
    const CancelToken* cancel_;
    std::string entry_;
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
    std::unique_ptr<ArchiveInput> input; // outlives `reader`: freed after it
    std::uint64_t max_size = 0;
    std::uint64_t name_bytes = 0;
    std::string last_entry; // the last entry whose header was read (truncation messages)
    CheckpointInfo info;
    bool scanned = false;
    std::unordered_map<std::string, EntryType> seen;
    std::string config_text;
    std::string spec_text;
    std::string core_head;
    bool has_checkpoint_dir = false;
    std::int64_t criu_mtime = 0; // the latest modification time of a CRIU image

    void account(const ArchiveEntry& entry);
    void check_limits(const std::string& where, const ArchiveEntry& entry);
    void check_end(const std::string& where);
    std::string* capture_for(const std::string& where, const ArchiveEntry& entry,
                             std::size_t& limit);
    void finish(const std::string& where);

    ~Impl() {
        if (reader != nullptr) archive_read_free(reader);
    }
};

std::string engine_display_name(Engine engine) {
    switch (engine) {
    case Engine::crio:
        return "CRI-O";
    case Engine::containerd:
        return "containerd";
    case Engine::podman:
        return "Podman";
    }
    return "containerd";
}

CheckpointArchive::CheckpointArchive(const std::string& path, const CancelToken* cancel)
    : CheckpointArchive(path, path, cancel) {}

CheckpointArchive::CheckpointArchive(std::string path, std::string name, const CancelToken* cancel)
    : path_(std::move(name)), open_path_(std::move(path)), impl_(std::make_unique<Impl>()),
      cancel_(cancel) {
    if (open_path_ == "-") {
        impl_->input = std::make_unique<ArchiveInput>(open_path_, cancel_);
        open_reader();
        return;
    }
    struct stat status {};
    if (::stat(open_path_.c_str(), &status) != 0) throw IoError(errno_message(path_));
    if (S_ISDIR(status.st_mode))
        throw InputError(path_ + ": is a directory, not a checkpoint archive");
    // Only a regular file may be opened again: a second open of a FIFO waits for a writer that
    // may have finished (Podman's export closes its end once all is in the pipe).
    is_file_ = S_ISREG(status.st_mode);
    impl_->input = std::make_unique<ArchiveInput>(open_path_, cancel_);
    open_reader();
}

CheckpointArchive::CheckpointArchive(std::unique_ptr<ByteSource> source, std::string name,
                                     const CancelToken* cancel)
    : path_(std::move(name)), impl_(std::make_unique<Impl>()), cancel_(cancel) {
    impl_->input = std::make_unique<ArchiveInput>(std::move(source), cancel_);
    open_reader();
}

void CheckpointArchive::open_reader() {
    auto* reader = archive_read_new();
    if (reader == nullptr) throw Error("cannot allocate an archive reader");
    impl_->reader = reader;
    // gzip and zstd are decompressed by ArchiveInput (which checks what libarchive does not).
    archive_read_support_filter_none(reader);
    archive_read_support_format_tar(reader);
    const std::string where = path_ == "-" ? "standard input" : path_;
    if (impl_->input->open(reader) != ARCHIVE_OK) {
        impl_->input->rethrow_read_error(where);
        throw_open_error(reader, where);
    }
}

void CheckpointArchive::set_max_size(std::uint64_t bytes) {
    impl_->max_size = bytes;
}

void CheckpointArchive::throw_if_cancelled() const {
    ckimg::throw_if_cancelled(cancel_);
}

CheckpointArchive::~CheckpointArchive() = default;

const CheckpointInfo& CheckpointArchive::info() const {
    if (!impl_->scanned) throw Error("internal error: checkpoint metadata read before the scan");
    return impl_->info;
}

namespace {

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
        throw_if_cancelled();
        if (status == ARCHIVE_EOF) {
            impl.check_end(where);
            break;
        }
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            auto reason = read_problem(impl.reader, impl.last_entry);
            if (impl.seen.empty() && reason.find("Unrecognized") != std::string::npos)
                throw InputError(where + ": not a tar archive (plain, gzip or zstd)");
            throw InputError(where + ": truncated or corrupt archive (" + reason + ")");
        }
        const char* raw_name = archive_entry_pathname(entry);
        auto path = normalize_entry_path(where, raw_name ? raw_name : "");
        if (!path) continue; // the "./" root entry itself
        impl.last_entry = *path;
        auto type = classify_entry(where, *path, entry);
        check_against_earlier(where, *path, impl.seen);
        if (archive_entry_sparse_count(entry) > 0)
            throw InputError(where + ": entry \"" + *path +
                             "\": sparse file refused (checkpoints hold none)");
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
        impl.check_limits(where, described);
        std::size_t limit = 0;
        std::string* keep =
            type == EntryType::file ? impl.capture_for(where, described, limit) : nullptr;
        EntryData data(impl.reader, where, keep, limit, cancel_, *path);
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
    // Saturating: declared sizes come from the archive.
    info.total_size = saturating_add(info.total_size, entry.size);
    if (starts_with(entry.path, "checkpoint/")) {
        info.criu_size = saturating_add(info.criu_size, entry.size);
        criu_mtime = std::max(criu_mtime, entry.mtime);
    }
    if (is_pages_image(entry.path)) info.pages_size = saturating_add(info.pages_size, entry.size);
    if (entry.path == "rootfs-diff.tar")
        info.rootfs_diff_size = saturating_add(info.rootfs_diff_size, entry.size);
}

// Refuses, on its header and before its data is read, the entry that takes the archive past the
// limits: --max-size (decompression bombs declare their size up front), the entry count and the
// bytes of names kept for the duplicate and parent checks.
void CheckpointArchive::Impl::check_limits(const std::string& where, const ArchiveEntry& entry) {
    name_bytes += entry.path.size();
    if (seen.size() > kMaxEntries || name_bytes > kMaxNameBytes)
        throw InputError(where + ": more than " + std::to_string(kMaxEntries) +
                         " entries or 32 MiB of names (not a checkpoint archive)");
    if (max_size != 0 && info.total_size > max_size)
        throw InputError(where + ": entry \"" + entry.path + "\" takes the files past the " +
                         std::to_string(max_size) + "-byte limit (--max-size)");
}

// libarchive takes an archive that stops at an entry boundary for a complete one ("some writers
// omit the block of nulls"), so an archive cut between two files would pass for a checkpoint
// without its last files. Every writer of checkpoints ends the archive with the end-of-archive
// marker: libarchive consumed it when the position moved past the last header's start.
void CheckpointArchive::Impl::check_end(const std::string& where) {
    if (archive_filter_bytes(reader, 0) <= archive_read_header_position(reader))
        throw InputError(
            where + ": truncated or corrupt archive (it ends without an end-of-archive marker)");
    input->finish(where);
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
    if (!info.checkpointed_time.empty()) {
        info.checkpointed_source = "config.dump";
    } else if (criu_mtime > 0) {
        // Podman records no checkpoint time in the archive (its checkpointedTime lives in its
        // database; config.dump's createdTime is the container's creation or last restore).
        // CRIU wrote the images during the dump, so their times are when the checkpoint was
        // taken, to the second.
        info.checkpointed_time = rfc3339_seconds(criu_mtime);
        info.checkpointed_source = "CRIU image times";
    }
    scanned = true;
}

} // namespace ckimg
