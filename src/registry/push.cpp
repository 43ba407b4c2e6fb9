// push_layout: probe, then the blobs in parallel (HEAD -> skip, mount, upload), then manifests
// and the index by digest, then tags. A tag is never written before everything it reaches.
#include "registry/blob_upload.hpp"
#include "registry/layout_reader.hpp"
#include "registry/referrers.hpp"
#include "registry/registry_client.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

namespace ckimg {

namespace {

using registry::BlobOutcome;
using registry::RegistryClient;
using registry::RegistrySession;

constexpr std::uint64_t progress_step = 1 << 20;

int job_count(int requested, std::size_t blobs) {
    int jobs = requested > 0
                   ? requested
                   : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 4);
    return std::max(1, std::min(jobs, static_cast<int>(std::max<std::size_t>(blobs, 1))));
}

// Base images recorded in the annotations that live on the target registry are mount sources.
std::vector<std::string> mount_sources(const registry::LayoutImage& image, const Reference& target,
                                       std::vector<std::string> sources) {
    for (const auto& name : image.base_names) {
        try {
            auto base = Reference::parse(name);
            if (base.registry == target.registry && base.repository != target.repository)
                sources.push_back(base.repository);
        } catch (const UsageError&) {
            // An unparsable annotation only costs the mount.
        }
    }
    std::sort(sources.begin(), sources.end());
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
    return sources;
}

// Shared by the upload threads: the work list, the counts and the first failure.
struct BlobQueue {
    const std::string& dir;
    const std::vector<Descriptor>& blobs;
    const PushOptions& options;
    const std::vector<std::string>& mounts;
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::exception_ptr error;
    PushResult& result;

    void report(const TransferProgress& progress) {
        if (!options.progress) return;
        std::lock_guard lock(mutex);
        options.progress(progress);
    }

    void record(const Descriptor& blob, BlobOutcome outcome) {
        std::lock_guard lock(mutex);
        count_outcome(result, outcome, static_cast<std::uint64_t>(blob.size));
    }

    void push_one(RegistryClient& client, const Descriptor& blob) {
        TransferProgress progress{blob.digest.str(), 0, static_cast<std::uint64_t>(blob.size),
                                  false};
        std::uint64_t reported = 0;
        auto on_bytes = [&](std::uint64_t done) {
            if (done >= reported && done - reported < progress_step && done != progress.total)
                return;
            reported = done;
            progress.done = done;
            report(progress);
        };
        auto outcome = registry::push_blob_file(
            client, registry::layout_blob_path(dir, blob.digest), blob, mounts, on_bytes);
        record(blob, outcome);
        progress.done = progress.total;
        progress.finished = true;
        report(progress);
    }

    void work(RegistrySession& session) {
        try {
            RegistryClient client(session);
            for (auto i = next++; i < blobs.size() && !session.cancel; i = next++)
                push_one(client, blobs[i]);
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            session.cancel = true; // the other uploads stop at their next callback
        }
    }
};

void push_blobs(RegistrySession& session, const std::string& dir,
                const std::vector<Descriptor>& blobs, const PushOptions& options,
                const std::vector<std::string>& mounts, PushResult& result) {
    BlobQueue queue{dir, blobs, options, mounts, {}, {}, {}, result};
    std::vector<std::thread> threads;
    int jobs = job_count(options.registry.jobs, blobs.size());
    threads.reserve(static_cast<std::size_t>(jobs));
    for (int i = 0; i < jobs; ++i)
        threads.emplace_back([&] { queue.work(session); });
    for (auto& thread : threads)
        thread.join();
    if (queue.error) std::rethrow_exception(queue.error);
}

void check_target_digest(const Reference& target, const Descriptor& root) {
    if (!target.digest.empty() && target.digest != root.digest.str())
        throw UsageError("the image to push is " + root.digest.str() + ", not " + target.digest +
                         " as the reference says");
}

} // namespace

PushResult push_layout(const std::string& layout_dir, const std::string& source_tag,
                       const Reference& target, const PushOptions& options) {
    auto image = registry::read_layout_image(layout_dir, source_tag);
    check_target_digest(target, image.root);
    auto registry_options = options.registry;
    registry_options.mount_from = mount_sources(image, target, registry_options.mount_from);
    RegistrySession session(target, registry_options);
    RegistryClient client(session);
    client.probe();

    PushResult result;
    result.reference = target.str();
    push_blobs(session, layout_dir, image.blobs, options, registry_options.mount_from, result);
    for (const auto& manifest : image.manifests) {
        auto stored = client.put_manifest(manifest.descriptor.digest.str(),
                                          manifest.descriptor.media_type, manifest.bytes);
        registry::keep_referrers_tag(client, manifest.bytes, stored);
    }
    const auto& root = image.manifests.back();
    std::vector<std::string> tags;
    if (!target.tag.empty()) tags.push_back(target.tag);
    for (const auto& tag : options.extra_tags) {
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    }
    for (const auto& tag : tags)
        client.put_manifest(tag, root.descriptor.media_type, root.bytes);
    result.root = image.root;
    result.root.annotations.erase("org.opencontainers.image.ref.name");
    return result;
}

} // namespace ckimg
