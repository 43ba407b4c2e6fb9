#include <ckimg/build.hpp>
#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/transport.hpp>

#include "crypto/layer_encryptor.hpp"
#include "oci/layer_factory.hpp"
#include "oci/tee_sink.hpp"

#include <cstdlib>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

// A directory name made from a container name: anything unusual becomes '-'.
std::string default_layout_name(const std::string& container) {
    std::string name;
    for (char c : container)
        name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')
                    ? c
                    : '-';
    if (name.empty() || name.front() == '.') name = "container" + name;
    return name + "-checkpoint";
}

// A repository name made from a container name, valid in a docker reference (lower-case
// alphanumerics joined by single '-').
std::string repository_name(const std::string& container) {
    std::string name;
    for (char c : container) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u))
            name += static_cast<char>(std::tolower(u));
        else if (!name.empty() && name.back() != '-')
            name += '-';
    }
    while (!name.empty() && name.back() == '-')
        name.pop_back();
    return (name.empty() ? "container" : name) + "-checkpoint";
}

// The root as the layout's index.json lists it. `podman load` (and containerd's import) name the
// image after io.containerd.image.name, else after ref.name normalised as a name: a bare tag
// "v1" would load as "localhost/v1:latest". So a full name is recorded: the one the user gave,
// else localhost/<container>-checkpoint:<tag>.
Descriptor named_root(const Descriptor& root, const std::string& ref, const CheckpointInfo& info) {
    Descriptor named = root;
    named.annotations[kContainerdImageName] =
        image_load_name(ref, "localhost/" + repository_name(info.container_name));
    return named;
}

// Removes a layout this build created if the build fails.
class CreatedLayoutGuard {
public:
    explicit CreatedLayoutGuard(const OciLayout& layout)
        : path_(layout.created() ? layout.dir() : fs::path()) {}
    ~CreatedLayoutGuard() {
        std::error_code ignored;
        if (!path_.empty()) fs::remove_all(path_, ignored);
    }
    CreatedLayoutGuard(const CreatedLayoutGuard&) = delete;
    CreatedLayoutGuard& operator=(const CreatedLayoutGuard&) = delete;
    void release() { path_.clear(); }

private:
    fs::path path_;
};

// Tags the root in `sink` and makes it visible: what build_into leaves to its caller.
void tag_and_commit(ImageSink& sink, BuildResult& result, const std::string& tag) {
    sink.tag(named_root(result.root, tag, result.info), tag);
    sink.commit();
    result.reference = sink.describe(tag);
}

// Builds into `local` and, with --push, into the registry at the same time; each then gets its
// own tags (the registry the --push reference's and each --push-tag, not the layout's).
BuildResult build_with_push(CheckpointArchive& archive, ImageSink* local,
                            const BuildOptions& options, const std::string& tag,
                            const Context& context) {
    if (!options.push) {
        auto result = build_into(archive, *local, options, context);
        tag_and_commit(*local, result, tag);
        return result;
    }
    RegistrySink registry(*options.push, options.push_options.registry, context);
    std::vector<ImageSink*> sinks;
    if (local != nullptr) sinks.push_back(local);
    sinks.push_back(&registry);
    TeeSink both(sinks);
    auto result = build_into(archive, both, options, context);
    auto push_tag = options.push->tag.empty() ? tag_of_image_ref(tag) : options.push->tag;
    if (push_tag.empty()) push_tag = "latest"; // -o named the image by digest alone
    registry.tag(result.root, push_tag);
    for (const auto& extra : options.push_options.extra_tags)
        registry.tag(result.root, extra);
    result.push = registry.result();
    if (local != nullptr) {
        tag_and_commit(*local, result, tag);
    } else {
        result.reference = registry.describe(push_tag);
    }
    return result;
}

BuildResult build_into_layout(CheckpointArchive& archive, const fs::path& dir,
                              const BuildOptions& options, const std::string& tag,
                              const Context& context) {
    auto layout = OciLayout::open(dir, true, options.world_readable);
    CreatedLayoutGuard guard(*layout);
    auto result = build_with_push(archive, layout.get(), options, tag, context);
    guard.release();
    return result;
}

// Without -o the layout's name comes from the container's name, known only after the single
// pass: build into a staging layout, then move its blobs into the named one.
BuildResult build_into_default_layout(CheckpointArchive& archive, const BuildOptions& options,
                                      const std::string& tag, const Context& context) {
    std::string pattern = ".ckimg-staging-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
        throw IoError(errno_message("cannot create a staging directory in the current directory"));
    fs::path staging = pattern;
    struct Cleanup {
        fs::path path;
        ~Cleanup() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    } cleanup{staging};
    auto staged = OciLayout::open(staging, true, options.world_readable);
    auto result = build_into(archive, *staged, options, context);
    auto final_dir = fs::path(default_layout_name(result.info.container_name));
    auto layout = OciLayout::open(final_dir, true, options.world_readable);
    CreatedLayoutGuard guard(*layout);
    layout->adopt_blobs(*staged);
    layout->tag(named_root(result.root, tag, result.info), tag);
    guard.release();
    result.reference = "oci:./" + final_dir.string() + ":" + tag;
    return result;
}

void check_tag(const std::string& tag) {
    if (!tag.empty() && !valid_image_ref(tag))
        throw UsageError("invalid --tag \"" + tag +
                         "\" (a tag such as v1, or a name such as localhost/counter:v1)");
}

} // namespace

BuildResult build_into(CheckpointArchive& archive, ImageSink& sink, const BuildOptions& options,
                       const Context& context) {
    const Format& format = find_format(options.format);
    std::optional<crypto::LayerEncryptor> encryptor;
    if (options.encryption.enabled()) {
        (void)options.encryption.encrypts(0, -1); // a negative --encrypt-layer: before any work
        encryptor.emplace(options.encryption);
    }
    SinkLayerFactory layers(sink, options.compression, options.level, context.progress,
                            encryptor ? &*encryptor : nullptr);
    BuildResult result;
    result.format = format.name();
    result.plan = format.write(archive, layers, options.format_options);
    result.info = archive.info();
    auto written = write_image(sink, result.plan);
    result.root = written.index;
    result.manifest = written.manifest;
    return result;
}

BuildResult build_image(const BuildOptions& options, const Context& context) {
    find_format(options.format); // fail on a bad name before reading
    check_tag(options.tag);
    CheckpointArchive archive(options.archive, context.cancel);
    return build_image(archive, options, context);
}

BuildResult build_image(CheckpointArchive& archive, const BuildOptions& options,
                        const Context& context) {
    find_format(options.format);
    check_tag(options.tag);
    archive.set_max_size(options.max_size);
    if (options.destination.empty() && options.push)
        return build_with_push(archive, nullptr, options,
                               options.tag.empty() ? "latest" : options.tag, context);
    if (options.destination.empty())
        return build_into_default_layout(archive, options,
                                         options.tag.empty() ? "latest" : options.tag, context);
    auto target = parse_local_target(options.destination);
    std::string tag = !options.tag.empty()  ? options.tag
                      : !target.tag.empty() ? target.tag
                                            : "latest";
    if (target.kind == LocalTarget::Kind::layout)
        return build_into_layout(archive, target.path, options, tag, context);
    OciArchiveSink sink(target.path, options.world_readable);
    return build_with_push(archive, &sink, options, tag, context);
}

nlohmann::json to_json(const BuildResult& result) {
    auto layers = nlohmann::json::array();
    for (const auto& layer : result.plan.layers) {
        auto entry = to_json(layer.descriptor);
        entry["diffID"] = layer.diff_id.str();
        layers.push_back(entry);
    }
    nlohmann::json json = {
        {"reference", result.reference},
        {"digest", result.root.digest.str()},
        {"mediaType", result.root.media_type},
        {"size", result.root.size},
        {"manifest", to_json(result.manifest)},
        {"layers", layers},
        {"annotations", to_json(result.plan.manifest_annotations)},
        {"format", result.format},
        {"checkpoint", to_json(result.info)},
    };
    if (result.push) json["push"] = to_json(*result.push);
    return json;
}

} // namespace ckimg
