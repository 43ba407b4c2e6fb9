// `ckimg checkpoint`: the kubelet's checkpoint API (POST /checkpoint/{namespace}/{pod}/{container},
// Kubernetes' ContainerCheckpoint feature) -> the archive it names -> build_image().
//
// The kubelet is an input like any archive: its answer must be the API's {"items":["PATH"]},
// PATH one file directly in the checkpoints directory, neither a symbolic link nor anything but
// a regular file with one link, checked on the opened descriptor (O_NOFOLLOW, fstat) and built
// from that descriptor, so that a hostile or confused kubelet cannot have /etc/shadow, a FIFO
// or a file swapped in after the check read into an image.
#pragma once

#include <ckimg/build.hpp>
#include <ckimg/context.hpp>

#include <optional>
#include <string>

namespace ckimg {

// "NAMESPACE/POD/CONTAINER", each a Kubernetes name (what the API's path may carry).
struct PodContainer {
    std::string pod_namespace;
    std::string pod;
    std::string container;

    // Throws UsageError naming what is wrong.
    static PodContainer parse(const std::string& text);
    std::string str() const;
};

struct KubeletOptions {
    std::string url = "https://127.0.0.1:10250"; // the node's own kubelet
    std::string ca_file;                         // trusted for the kubelet, with the system's CAs
    std::string cert_file;                       // client certificate (PEM) ...
    std::string key_file;                        // ... and its key
    std::string token_file;                      // or a bearer token (a service account's)
    bool insecure_tls = false;                   // do not verify the kubelet's certificate
    // ?timeout=SECONDS for the runtime's checkpoint (0: the kubelet's CRI default, 2 min);
    // ckimg waits this long plus 30 s for the answer.
    long timeout_seconds = 0;
    // Where the kubelet writes checkpoints, as seen here (a Job mounts it at the same path).
    std::string checkpoints_dir = "/var/lib/kubelet/checkpoints";
};

// Asks the kubelet for a checkpoint; returns the archive path it answers with, after checking
// that it names a file directly in `checkpoints_dir` (not that the file is safe to read: see
// CheckpointFile). Throws RegistryError (status kept) with one line per kubelet failure: 401/403
// (which credentials, which RBAC grant), 404 (feature gate, pod, container), 500 (the runtime's
// message), a timeout; InputError for an answer that is not the API's. Credentials never appear
// in a message, even when the kubelet echoes them.
// `context`: its cancel stops the wait (Cancelled), its trace logs the exchange.
std::string request_checkpoint(const PodContainer& target, const KubeletOptions& options,
                               const Context& context = {});

// The archive the kubelet named, opened without following a symbolic link and checked on the
// descriptor: a regular file with one link. Removable by name only while the name still is
// that file.
class CheckpointFile {
public:
    // Throws InputError for a symlink, a non-regular file, a second link, a path outside the
    // directory; IoError when it cannot be opened.
    CheckpointFile(const std::string& path, const std::string& checkpoints_dir);
    ~CheckpointFile();
    CheckpointFile(const CheckpointFile&) = delete;
    CheckpointFile& operator=(const CheckpointFile&) = delete;

    const std::string& path() const { return path_; }
    // A name that opens this very file, whatever happens to `path` meanwhile ("/dev/fd/N").
    std::string descriptor_path() const;
    // Unlinks `path` if it still names the opened file; throws IoError otherwise.
    void remove();

private:
    std::string path_;
    std::string name_;
    int dir_fd_ = -1;
    int fd_ = -1;
};

struct KubeletCheckpointOptions {
    PodContainer target;
    KubeletOptions kubelet;
    BuildOptions build;          // `archive` is filled in here
    bool remove_archive = false; // --rm: once the push is confirmed (needs build.push)
};

struct KubeletCheckpointResult {
    std::string archive; // the path the kubelet answered with
    BuildResult build;
    bool removed = false;
    std::string remove_error; // why --rm could not remove it (the image was pushed)
};

// request_checkpoint, CheckpointFile, build_image from its descriptor, then --rm.
KubeletCheckpointResult checkpoint_container(const KubeletCheckpointOptions& options,
                                             const Context& context = {});

} // namespace ckimg
