// The registry side: a client of the OCI distribution API (spec.md), and push/pull on top.
#pragma once

#include <ckimg/context.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/sink.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckimg {

struct RegistryOptions {
    bool insecure = false; // plain HTTP and unverified TLS allowed for this registry
    std::string ca_file;   // extra CA bundle
    std::string cert_file; // client certificate
    std::string key_file;  // client key
    std::string creds;     // "USER[:PASS]" from --creds
    std::string auth_file; // --authfile
    int retries = 5;
    std::uint64_t chunk_size = 0;        // 0: per-registry default; chunked uploads above this size
    int jobs = 0;                        // 0: default
    long timeout_seconds = 60;           // stall timeout
    std::string certs_dir_root;          // "" = /etc/containers/certs.d and /etc/docker/certs.d
    std::vector<std::string> mount_from; // repositories to try cross-repo mounts from
};

struct PushResult {
    std::string reference;
    Descriptor root;
    int pushed = 0;
    int skipped = 0;
    int mounted = 0;
    std::uint64_t bytes = 0; // bytes uploaded
};
// --json of push (and build --push's "push"): reference, digest, mediaType, size, pushed,
// skipped, mounted, bytes.
nlohmann::json to_json(const PushResult& result);

struct PushOptions {
    RegistryOptions registry;
    std::vector<std::string> extra_tags;
    // --encryption-key: push the image with layers encrypted (encrypting_source).
    EncryptionOptions encryption;
};

// Copies the image `source` names ("oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", or another
// registry's reference) to `target` with copy_image: blobs first (HEAD to skip what exists,
// cross-repository mounts, uploads in parallel), then manifests and the index by digest, then
// the tags (target's tag and `extra_tags`). A target with a digest must name the digest of what
// is pushed. Throws RegistryError (one line, never with credentials), InputError for a broken
// source, UsageError for bad options.
PushResult push(const std::string& source, const Reference& target, const PushOptions& options,
                const Context& context = {});

// A registry repository as an ImageSink, for `build --push`: create_blob() uploads while the
// blob is produced (POST, one PATCH whose body streams as it comes, or with --chunk-size a PATCH
// per chunk, then PUT ?digest= on commit), so memory stays at a few MiB per open blob; put_blob()
// HEADs then uploads small blobs (manifests and indexes go to /manifests/ by digest); tag() PUTs
// the manifest by tag. Blob writers may be used from different threads, one thread each.
class RegistrySink : public ImageSink {
public:
    // Probes the registry (GET /v2/) and sets up authorization; throws RegistryError. The
    // context's cancel token (and cancel()) stop the uploads; its progress is not used here.
    RegistrySink(const Reference& target, const RegistryOptions& options,
                 const Context& context = {});
    ~RegistrySink() override;
    RegistrySink(const RegistrySink&) = delete;
    RegistrySink& operator=(const RegistrySink&) = delete;

    std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) override;
    // HEAD, then cross-repository mounts from --mount-from and the related images that live on
    // this registry.
    BlobReuse try_reuse_blob(const Descriptor& blob,
                             const std::vector<std::string>& related) override;
    // Uploads chunk by chunk or whole from the blob's file (resuming from the registry's Range),
    // else streams it as create_blob() does.
    void write_blob(const BlobInput& blob, const BlobProgress& progress) override;
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override;
    void tag(const Descriptor& root, const std::string& tag) override;
    void cancel() override;
    void commit() override {}
    std::string describe(const std::string& tag) const override;

    // Counts so far (pushed/skipped/mounted/bytes; `root` is the last manifest tagged).
    PushResult result() const;

    struct State; // the implementation's (public only so its blob writers can name it)

private:
    std::unique_ptr<State> state_;
};

// Checks credentials against the registry (GET /v2/, with the token flow when the registry
// asks for it), then stores them in the containers auth file (--authfile, $REGISTRY_AUTH_FILE,
// ${XDG_RUNTIME_DIR}/containers/auth.json), mode 0600. `registry` is a host[:port] (a
// "docker.io"-style name or URL is normalised). logout removes the entry; throws UsageError
// when there was none.
void login(const std::string& registry, const std::string& username, const std::string& password,
           const RegistryOptions& options, const Context& context = {});
void logout(const std::string& registry, const RegistryOptions& options);

} // namespace ckimg
