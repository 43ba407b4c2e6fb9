// copy_image: the graph walk, the parallel blob copies, progress, cancellation and the
// tag-last rule, once for every pair of source and sink.
#include <ckimg/copy.hpp>
#include <ckimg/error.hpp>
#include <ckimg/transport.hpp>

#include "core/checked_math.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

namespace ckimg {

namespace {

constexpr std::uint64_t kProgressStep = 1 << 20;
constexpr const char* kBaseNameAnnotation = "org.opencontainers.image.base.name";

int job_count(int requested, std::size_t blobs) {
    int jobs = requested > 0
                   ? requested
                   : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 4);
    return std::max(1, std::min(jobs, static_cast<int>(std::max<std::size_t>(blobs, 1))));
}

// Images that may hold the blobs already: a registry source itself, and the base images the
// manifests name (a sink on the same registry can mount from them).
std::vector<std::string> related_images(const ImageSource& source, const ImageGraph& graph) {
    std::vector<std::string> related;
    if (!is_local_target(source.describe())) related.push_back(source.describe());
    for (const auto& node : graph.manifests) {
        auto annotations = node.json.find("annotations");
        if (annotations == node.json.end() || !annotations->is_object()) continue;
        auto base = annotations->find(kBaseNameAnnotation);
        if (base != annotations->end() && base->is_string())
            related.push_back(base->get<std::string>());
    }
    std::sort(related.begin(), related.end());
    related.erase(std::unique(related.begin(), related.end()), related.end());
    return related;
}

// Reads from a blob's stream while checking, between reads, that the copy is still wanted.
class WatchedSource : public ByteSource {
public:
    WatchedSource(std::unique_ptr<ByteSource> inner, std::function<void()> check)
        : inner_(std::move(inner)), check_(std::move(check)) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        check_();
        return inner_->read(buffer, capacity);
    }

private:
    std::unique_ptr<ByteSource> inner_;
    std::function<void()> check_;
};

// Shared by the copying threads: the work list, the counts and the first failure.
class BlobCopier {
public:
    BlobCopier(ImageSource& source, ImageSink& sink, const CopyOptions& options,
               const Context& context, std::vector<std::string> related, CopyResult& result)
        : source_(source), sink_(sink), options_(options), context_(context),
          related_(std::move(related)), result_(result) {}

    void copy_all(const std::vector<Descriptor>& blobs) {
        std::vector<std::thread> threads;
        int jobs = job_count(options_.jobs, blobs.size());
        threads.reserve(static_cast<std::size_t>(jobs));
        for (int i = 0; i < jobs; ++i)
            threads.emplace_back([&] { work(blobs); });
        for (auto& thread : threads)
            thread.join();
        if (error_) std::rethrow_exception(error_);
    }

    // Throws Cancelled once the user interrupted or another blob failed.
    void check() const {
        context_.throw_if_cancelled();
        if (failed_) throw Cancelled("stopped"); // another blob failed; its error is reported
    }

private:
    void work(const std::vector<Descriptor>& blobs) {
        try {
            for (auto i = next_++; i < blobs.size(); i = next_++) {
                check();
                copy_one(blobs[i]);
            }
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) error_ = std::current_exception();
            failed_ = true;
            // The other transfers stop instead of finishing for nothing.
            source_.cancel();
            sink_.cancel();
        }
    }

    void copy_one(const Descriptor& blob) {
        TransferProgress progress{blob.digest.str(), 0, static_cast<std::uint64_t>(blob.size),
                                  false};
        auto reuse = sink_.try_reuse_blob(blob, related_);
        if (reuse != BlobReuse::absent) {
            std::lock_guard lock(mutex_);
            ++(reuse == BlobReuse::present ? result_.present : result_.mounted);
            return;
        }
        BlobInput input{blob,
                        [this, &blob] {
                            return std::make_unique<WatchedSource>(source_.open_blob(blob),
                                                                   [this] { check(); });
                        },
                        source_.blob_file(blob)};
        std::uint64_t reported = 0;
        sink_.write_blob(input, [&](std::uint64_t done) {
            if (done >= reported && done - reported < kProgressStep && done != progress.total)
                return;
            reported = done;
            progress.done = done;
            report(progress);
        });
        progress.done = progress.total;
        progress.finished = true;
        report(progress);
        std::lock_guard lock(mutex_);
        ++result_.copied;
        // Sizes are the manifest's (checked against the bytes, but never trusted to add up).
        auto sum = checked_add<std::uint64_t>(result_.bytes, progress.total);
        if (!sum) throw InputError("the copied blobs' sizes add up to more than 2^64 bytes");
        result_.bytes = *sum;
    }

    void report(const TransferProgress& progress) {
        if (!context_.progress) return;
        std::lock_guard lock(mutex_);
        context_.progress(progress);
    }

    ImageSource& source_;
    ImageSink& sink_;
    const CopyOptions& options_;
    const Context& context_;
    std::vector<std::string> related_;
    CopyResult& result_;
    std::atomic<std::size_t> next_{0};
    std::atomic<bool> failed_{false};
    std::mutex mutex_;
    std::exception_ptr error_;
};

} // namespace

CopyResult copy_image(ImageSource& source, ImageSink& sink, const CopyOptions& options,
                      const Context& context) {
    auto graph = read_image_graph(source); // every manifest checked before a byte is written
    return copy_image(source, graph, sink, options, context);
}

CopyResult copy_image(ImageSource& source, const ImageGraph& graph, ImageSink& sink,
                      const CopyOptions& options, const Context& context) {
    context.throw_if_cancelled();
    CopyResult result;
    result.source = source.describe();
    result.destination = sink.describe(options.tags.empty() ? "" : options.tags.front());
    BlobCopier(source, sink, options, context, related_images(source, graph), result)
        .copy_all(graph.blobs);
    context.throw_if_cancelled();
    for (const auto& node : graph.manifests)
        sink.put_blob(node.descriptor.media_type, node.bytes);
    result.manifests = static_cast<int>(graph.manifests.size());
    result.root = source.root();
    result.root.annotations.clear(); // a layout source's tag is not the image's
    context.throw_if_cancelled();
    for (const auto& tag : options.tags) {
        auto named = result.root;
        auto name = image_load_name(tag, options.load_name_repository);
        if (!name.empty()) named.annotations[kContainerdImageName] = name;
        sink.tag(named, tag);
    }
    sink.commit();
    return result;
}

} // namespace ckimg
