// A container checkpoint archive as the kubelet, CRI-O, containerd and Podman write it.
#pragma once

#include <ckimg/context.hpp>
#include <ckimg/stream.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace ckimg {

enum class Engine { crio, containerd, podman };
std::string engine_display_name(Engine engine); // "CRI-O", "containerd", "Podman"

// What a checkpoint says about itself, read from config.dump and spec.dump.
struct CheckpointInfo {
    Engine engine = Engine::containerd;
    std::string container_name; // the name the pod spec gives the container
    std::string container_id;
    std::string pod_name;
    std::string pod_namespace;
    std::string pod_uid;
    std::string rootfs_image_name;
    std::string rootfs_image_id;
    std::string raw_image_name;
    std::string runtime;
    std::string created_time;
    // RFC 3339: config.dump's checkpointedTime, else (Podman records none) the latest
    // modification time of the archive's CRIU images; empty when neither is known.
    std::string checkpointed_time;
    std::string checkpointed_source; // "config.dump", "CRIU image times", or empty
    std::string host_arch;           // OCI name (amd64, arm64...), empty when not recorded

    std::uint64_t total_size = 0;       // bytes of all regular files
    std::uint64_t criu_size = 0;        // checkpoint/ (CRIU images)
    std::uint64_t pages_size = 0;       // checkpoint/pages-*.img (memory)
    std::uint64_t rootfs_diff_size = 0; // rootfs-diff.tar
    std::uint64_t entry_count = 0;

    nlohmann::json config_dump;
    nlohmann::json spec_dump;
};

nlohmann::json to_json(const CheckpointInfo& info);

enum class EntryType { file, directory, symlink, hardlink };

// One entry of the archive during a scan. Names are normalised: no leading "./", no trailing "/".
struct ArchiveEntry {
    std::string path;
    EntryType type = EntryType::file;
    std::uint32_t mode = 0; // permission bits only
    std::int64_t uid = 0;
    std::int64_t gid = 0;
    std::string uname;
    std::string gname;
    std::int64_t mtime = 0;
    std::uint64_t size = 0; // regular files only
    std::string link_target;
    ByteSource* data = nullptr; // regular files only; read it to the end or not at all
};

// Reads a checkpoint archive (plain, gzip or zstd tar, detected by content) in one pass.
class CheckpointArchive {
public:
    // `path` "-" is standard input. Once `cancel` is cancelled (SIGINT, SIGTERM), the scan
    // throws Cancelled at the next block read, so that the caller can clean up.
    explicit CheckpointArchive(const std::string& path, const CancelToken* cancel = nullptr);
    // Opens the file `path` but names it `name` in every message: a file held open by descriptor
    // ("/dev/fd/N", so that what was checked is what is read) under the name the user knows.
    CheckpointArchive(std::string path, std::string name, const CancelToken* cancel);
    // Reads the archive from `source`, a stream (an image being converted, say), named `name` in
    // every message as a path would be.
    CheckpointArchive(std::unique_ptr<ByteSource> source, std::string name,
                      const CancelToken* cancel = nullptr);
    ~CheckpointArchive();
    CheckpointArchive(const CheckpointArchive&) = delete;
    CheckpointArchive& operator=(const CheckpointArchive&) = delete;

    // The archive's path, or the name it was given: what messages name. is_file(): open_path()
    // is a regular file that may be opened again (not standard input, a FIFO or a stream).
    const std::string& path() const { return path_; }
    const std::string& open_path() const { return open_path_; }
    bool is_file() const { return is_file_; }
    // Throws the scan's Error("interrupted") once `cancel` is set: for callers that read the
    // archive's file themselves (a layer that is the archive's bytes).
    void throw_if_cancelled() const;

    // Refuses an archive whose files add up to more than `bytes` (0: no limit, the default),
    // on the header that goes over and before its data is read: the bound on decompression bombs.
    void set_max_size(std::uint64_t bytes);

    // Visits every entry in archive order after validating it (no absolute paths, no "..", no
    // links out of the tree, no device nodes). After the last entry, checks that the archive is
    // a checkpoint and parses its metadata. Throws InputError naming the archive and the entry.
    // Can be called once: the archive may be a pipe.
    void scan(const std::function<void(ArchiveEntry&)>& visit);

    // The metadata; valid after scan().
    const CheckpointInfo& info() const;

private:
    struct Impl;
    void open_reader();

    std::string path_;
    std::string open_path_;
    bool is_file_ = false;
    std::unique_ptr<Impl> impl_;
    const CancelToken* cancel_;
};

// Runs the same checks as a build, writing nothing. `max_size` as in set_max_size; `cancel` as
// CheckpointArchive's (SIGINT: the scan stops with Error("interrupted")).
CheckpointInfo validate_checkpoint(const std::string& path, std::uint64_t max_size = 0,
                                   const CancelToken* cancel = nullptr);

} // namespace ckimg
