// pull_image: read and check every manifest first (nothing is written for a broken image), then
// the blobs in parallel (streamed and verified, stored under temporary names, renamed when
// complete), then the manifests children first, then the tag.
#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/pull.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/transport.hpp>

#include "core/cancel.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

constexpr std::size_t kCopyBuffer = 1 << 20;
constexpr std::uint64_t kProgressStep = 1 << 20;

int job_count(int requested, std::size_t blobs) {
    int jobs = requested > 0
                   ? requested
                   : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 4);
    return std::max(1, std::min(jobs, static_cast<int>(std::max<std::size_t>(blobs, 1))));
}

// Removes the layout directory unless the pull finished, when the pull created it.
class CreatedLayoutGuard {
public:
    CreatedLayoutGuard(fs::path dir, bool created) : dir_(std::move(dir)), armed_(created) {}
    ~CreatedLayoutGuard() {
        std::error_code ignored;
        if (armed_) fs::remove_all(dir_, ignored);
    }
    CreatedLayoutGuard(const CreatedLayoutGuard&) = delete;
    CreatedLayoutGuard& operator=(const CreatedLayoutGuard&) = delete;
    void release() { armed_ = false; }

private:
    fs::path dir_;
    bool armed_;
};

// Shared by the copying threads: the work list, the counts and the first failure.
class BlobCopier {
public:
    BlobCopier(ImageSource& source, OciLayout& layout, const PullOptions& options,
               PullResult& result)
        : source_(source), layout_(layout), options_(options), result_(result) {}

    void copy_all(const std::vector<Descriptor>& blobs) {
        std::vector<std::thread> threads;
        int jobs = job_count(options_.registry.jobs, blobs.size());
        threads.reserve(static_cast<std::size_t>(jobs));
        for (int i = 0; i < jobs; ++i)
            threads.emplace_back([&] { work(blobs); });
        for (auto& thread : threads)
            thread.join();
        if (error_) std::rethrow_exception(error_);
    }

private:
    void work(const std::vector<Descriptor>& blobs) {
        try {
            for (auto i = next_++; i < blobs.size() && !failed_; i = next_++)
                copy_one(blobs[i]);
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) error_ = std::current_exception();
            failed_ = true;
            source_.cancel(); // the other transfers stop instead of finishing for nothing
        }
    }

    void copy_one(const Descriptor& blob) {
        if (layout_.has_blob(blob.digest)) {
            std::lock_guard lock(mutex_);
            ++result_.present;
            return;
        }
        auto stream = source_.open_blob(blob);
        auto writer = layout_.create_blob(); // a temporary file, removed unless committed
        std::vector<std::uint8_t> buffer(kCopyBuffer);
        TransferProgress progress{blob.digest.str(), 0, static_cast<std::uint64_t>(blob.size),
                                  false};
        std::uint64_t reported = 0;
        for (;;) {
            throw_if_cancelled(options_.cancel);
            if (failed_) throw Error("stopped"); // another blob failed; its error is reported
            auto n = stream->read(buffer.data(), buffer.size());
            if (n == 0) break; // the stream has verified size and digest
            writer->write(buffer.data(), n);
            progress.done += n;
            if (progress.done - reported >= kProgressStep) report(progress, reported);
        }
        writer->commit(blob.digest);
        progress.finished = true;
        report(progress, reported);
        std::lock_guard lock(mutex_);
        ++result_.copied;
        result_.bytes += progress.done;
    }

    void report(const TransferProgress& progress, std::uint64_t& reported) {
        reported = progress.done;
        if (!options_.progress) return;
        std::lock_guard lock(mutex_);
        options_.progress(progress);
    }

    ImageSource& source_;
    OciLayout& layout_;
    const PullOptions& options_;
    PullResult& result_;
    std::atomic<std::size_t> next_{0};
    std::atomic<bool> failed_{false};
    std::mutex mutex_;
    std::exception_ptr error_;
};

// A registry source's repository with its registry ("localhost:5000/team/counter"), for the
// name `podman load` gives a layout tagged with a bare tag (as build names its images); empty
// for a layout or archive source, whose repository is unknown.
std::string repository_of(const ImageSource& source) {
    auto name = source.describe();
    if (is_local_target(name)) return "";
    try {
        auto reference = Reference::parse(name);
        return reference.registry + "/" + reference.repository;
    } catch (const UsageError&) {
        return "";
    }
}

// The destination's tag, else the source's, else "latest".
std::string pull_tag(const std::string& source, const LocalTarget& destination) {
    if (!destination.tag.empty()) return destination.tag;
    std::string tag =
        is_local_target(source) ? parse_local_target(source).tag : Reference::parse(source).tag;
    return tag.empty() ? "latest" : tag;
}

} // namespace

PullResult pull_image(ImageSource& source, const std::string& dir, const std::string& tag,
                      const PullOptions& options) {
    auto graph = read_image_graph(source); // every manifest checked before a byte is written
    throw_if_cancelled(options.cancel);
    auto layout = OciLayout::open(dir, true);
    CreatedLayoutGuard guard(dir, layout->created());
    PullResult result;
    result.source = source.describe();
    result.destination = layout->describe(tag);
    BlobCopier(source, *layout, options, result).copy_all(graph.blobs);
    throw_if_cancelled(options.cancel);
    for (const auto& node : graph.manifests)
        layout->put_blob(node.descriptor.media_type, node.bytes);
    result.manifests = static_cast<int>(graph.manifests.size());
    result.root = source.root();
    result.root.annotations.clear(); // a layout source's tag is not the image's
    auto named = result.root;
    auto name = image_load_name(tag, repository_of(source));
    if (!name.empty()) named.annotations[kContainerdImageName] = name;
    layout->tag(named, tag);
    guard.release();
    return result;
}

PullResult pull(const std::string& source, const std::string& destination,
                const PullOptions& options) {
    auto target = parse_local_target(destination);
    if (target.kind != LocalTarget::Kind::layout)
        throw UsageError("pull writes an OCI layout: give -o oci:DIR[:TAG], not \"" + destination +
                         "\"");
    auto tag = pull_tag(source, target);
    auto image = open_image_source(source, options.registry, options.cancel);
    if (!options.decryption.keys.empty())
        image = decrypting_source(std::move(image), options.decryption);
    return pull_image(*image, target.path, tag, options);
}

} // namespace ckimg
