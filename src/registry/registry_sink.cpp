// RegistrySink: an ImageSink that uploads as the image is built (the blob writers are in
// sink_blob_writers.hpp); small blobs, manifests and tags go up from memory.
#include "registry/blob_upload.hpp"
#include "registry/referrers.hpp"
#include "registry/registry_client.hpp"
#include "registry/sink_blob_writers.hpp"
#include "registry/upload_sources.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include <algorithm>
#include <map>
#include <mutex>

namespace ckimg {

using registry::RegistryClient;

struct RegistrySink::State {
    Reference target;
    RegistryOptions options;
    std::unique_ptr<registry::RegistrySession> session;
    std::mutex client_mutex; // guards client (one connection for put_blob and tag)
    std::unique_ptr<RegistryClient> client;
    std::mutex mutex; // guards manifests and result
    std::map<std::string, std::pair<std::string, std::string>> manifests; // digest -> type, bytes
    PushResult result;
    std::mutex pool_mutex;                             // guards idle
    std::vector<std::unique_ptr<RegistryClient>> idle; // connections for the copy's threads

    // A connection of its own for the calling thread, back in the pool when done with it.
    class PooledClient {
    public:
        explicit PooledClient(State& state) : state_(state) {
            std::lock_guard lock(state_.pool_mutex);
            if (state_.idle.empty()) {
                client_ = std::make_unique<RegistryClient>(*state_.session);
            } else {
                client_ = std::move(state_.idle.back());
                state_.idle.pop_back();
            }
        }
        ~PooledClient() {
            std::lock_guard lock(state_.pool_mutex);
            state_.idle.push_back(std::move(client_));
        }
        PooledClient(const PooledClient&) = delete;
        PooledClient& operator=(const PooledClient&) = delete;
        RegistryClient& operator*() { return *client_; }

    private:
        State& state_;
        std::unique_ptr<RegistryClient> client_;
    };

    // The repositories of this registry that `related` names and --mount-from adds, each also a
    // scope the token must cover.
    std::vector<std::string> mount_sources(const std::vector<std::string>& related) {
        auto sources = options.mount_from;
        for (const auto& name : related) {
            try {
                auto image = Reference::parse(name);
                if (image.registry == target.registry && image.repository != target.repository)
                    sources.push_back(image.repository);
            } catch (const UsageError&) {
                // An unparsable base-image annotation only costs the mount.
            }
        }
        std::sort(sources.begin(), sources.end());
        sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
        for (const auto& source : sources)
            if (source != target.repository)
                session->auth().add_scope(registry::pull_scope(source));
        return sources;
    }

    void count(registry::BlobOutcome outcome, std::uint64_t size) {
        std::lock_guard lock(mutex);
        registry::count_outcome(result, outcome, size);
    }
};

RegistrySink::RegistrySink(const Reference& target, const RegistryOptions& options,
                           const Context& context)
    : state_(std::make_unique<State>()) {
    state_->target = target;
    state_->options = options;
    state_->session = std::make_unique<registry::RegistrySession>(target, options, context);
    state_->client = std::make_unique<RegistryClient>(*state_->session);
    state_->client->probe();
    state_->result.reference = target.str();
}

RegistrySink::~RegistrySink() = default;

std::unique_ptr<BlobWriter> RegistrySink::create_blob(const BlobReplay& replay) {
    registry::UploadContext context{
        *state_->session,
        [state = state_.get()](auto outcome, auto size) { state->count(outcome, size); }};
    if (registry::streams_blobs(*state_->session))
        return registry::make_streamed_blob_writer(context, replay);
    // Chunks are kept in memory until acknowledged: nothing to read again.
    return registry::make_chunked_blob_writer(context);
}

BlobReuse RegistrySink::try_reuse_blob(const Descriptor& blob,
                                       const std::vector<std::string>& related) {
    auto mounts = state_->mount_sources(related);
    State::PooledClient client(*state_);
    auto outcome = registry::reuse_blob(*client, blob.digest, mounts);
    if (!outcome) return BlobReuse::absent;
    state_->count(*outcome, 0);
    return *outcome == registry::BlobOutcome::mounted ? BlobReuse::mounted : BlobReuse::present;
}

void RegistrySink::write_blob(const BlobInput& blob, const BlobProgress& progress) {
    // Without a file the blob streams through a blob writer, which keeps a spool to retry from.
    if (blob.file.empty()) return ImageSink::write_blob(blob, progress);
    registry::FileRangeReader file(blob.file.string());
    if (file.size() != static_cast<std::uint64_t>(blob.descriptor.size))
        throw InputError(blob.file.string() + ": blob " + blob.descriptor.digest.str() + " is " +
                         std::to_string(file.size()) + " bytes but its descriptor says " +
                         std::to_string(blob.descriptor.size));
    State::PooledClient client(*state_);
    state_->count(registry::upload_blob(*client, file, blob.descriptor, progress), file.size());
}

void RegistrySink::cancel() {
    state_->session->cancel.cancel();
}

Descriptor RegistrySink::put_blob(const std::string& media_type, std::string_view bytes) {
    std::string data(bytes);
    Descriptor blob{media_type, sha256_of(bytes), static_cast<std::int64_t>(bytes.size()), {}, {},
                    {}};
    std::lock_guard client_lock(state_->client_mutex);
    auto& client = *state_->client;
    if (registry::is_manifest_media_type(media_type)) {
        registry::keep_referrers_tag(client, data,
                                     client.put_manifest(blob.digest.str(), media_type, data));
        std::lock_guard lock(state_->mutex);
        state_->manifests[blob.digest.str()] = {media_type, std::move(data)};
        return blob;
    }
    registry::BufferReader reader(data, 0);
    state_->count(registry::push_blob(client, reader, blob, {}, {}), data.size());
    return blob;
}

void RegistrySink::tag(const Descriptor& root, const std::string& tag) {
    std::pair<std::string, std::string> manifest;
    {
        std::lock_guard lock(state_->mutex);
        auto it = state_->manifests.find(root.digest.str());
        if (it == state_->manifests.end())
            throw Error("cannot tag " + root.digest.str() + ": it was not stored with put_blob");
        manifest = it->second;
    }
    std::lock_guard client_lock(state_->client_mutex);
    state_->client->put_manifest(tag, manifest.first, manifest.second);
    std::lock_guard lock(state_->mutex);
    state_->result.root = root;
}

std::string RegistrySink::describe(const std::string& tag) const {
    const auto& target = state_->target;
    return "docker://" + target.registry + "/" + target.repository + (tag.empty() ? "" : ":" + tag);
}

PushResult RegistrySink::result() const {
    std::lock_guard lock(state_->mutex);
    return state_->result;
}

} // namespace ckimg
