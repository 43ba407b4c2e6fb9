// The copy by name, and push and pull as the copies they are: each opens a source and a sink,
// chooses the tags and calls copy_image.
#include <ckimg/copy.hpp>
#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/pull.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/signature.hpp>
#include <ckimg/transport.hpp>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

// Removes the layout directory unless the copy finished, when the copy created it.
class CreatedLayoutGuard {
public:
    explicit CreatedLayoutGuard(const OciLayout& layout)
        : dir_(layout.dir()), armed_(layout.created()) {}
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

// The tag a source name carries ("" for none, or for a registry reference by digest only).
std::string source_tag(const std::string& source) {
    if (is_local_target(source)) return parse_local_target(source).tag;
    return Reference::parse(source).tag;
}

// A registry source's repository with its registry ("localhost:5000/team/counter"), for the
// name `podman load` gives a local copy tagged with a bare tag; empty for a layout or archive
// source, whose repository is unknown.
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

std::vector<std::string> with_first(std::string first, const std::vector<std::string>& more) {
    std::vector<std::string> tags;
    if (!first.empty()) tags.push_back(std::move(first));
    for (const auto& tag : more)
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    return tags;
}

CopyResult copy_to_layout(ImageSource& source, const fs::path& dir, const CopyOptions& options,
                          const Context& context) {
    auto layout = OciLayout::open(dir, true);
    CreatedLayoutGuard guard(*layout);
    auto result = copy_image(source, *layout, options, context);
    guard.release();
    return result;
}

void check_target_digest(const Reference& target, const Descriptor& root) {
    if (!target.digest.empty() && target.digest != root.digest.str())
        throw UsageError("the image to copy is " + root.digest.str() + ", not " + target.digest +
                         " as the reference says");
}

CopyResult copy_to_registry(ImageSource& source, const Reference& target,
                            const RegistryOptions& registry, CopyOptions options,
                            const Context& context) {
    check_target_digest(target, source.root());
    auto graph = read_image_graph(source); // a broken image is refused before the registry is
    RegistrySink sink(target, registry, context);
    options.tags = with_first(target.tag, options.tags);
    auto result = copy_image(source, graph, sink, options, context);
    result.destination = target.str();
    return result;
}

// The source as the copy is to store it: decrypted, then encrypted, as the options ask. Both
// happen here, before the destination is opened: a wrong key writes nothing.
std::unique_ptr<ImageSource> transformed(std::unique_ptr<ImageSource> image,
                                         const DecryptionOptions& decryption,
                                         const EncryptionOptions& encryption,
                                         const Context& context) {
    if (!decryption.keys.empty()) image = decrypting_source(std::move(image), decryption);
    if (encryption.enabled()) image = encrypting_source(std::move(image), encryption, context);
    return image;
}

} // namespace

CopyResult copy(const std::string& source, const std::string& destination,
                const RegistryOptions& registry, const CopyOptions& options,
                const Context& context) {
    // The destination's name is checked before the source is read (and maybe encrypted).
    if (!is_local_target(destination)) {
        auto target = Reference::parse(destination);
        auto image = transformed(open_image_source(source, registry, context), options.decryption,
                                 options.encryption, context);
        return copy_to_registry(*image, target, registry, options, context);
    }
    auto target = parse_local_target(destination);
    auto image = transformed(open_image_source(source, registry, context), options.decryption,
                             options.encryption, context);
    auto tag = !target.tag.empty() ? target.tag : source_tag(source);
    auto local = options;
    local.tags = with_first(tag.empty() ? "latest" : tag, options.tags);
    local.load_name_repository = repository_of(*image);
    if (target.kind == LocalTarget::Kind::layout)
        return copy_to_layout(*image, target.path, local, context);
    OciArchiveSink sink(target.path);
    return copy_image(*image, sink, local, context);
}

PushResult push(const std::string& source, const Reference& target, const PushOptions& options,
                const Context& context) {
    CopyOptions copy_options;
    copy_options.tags = options.extra_tags;
    copy_options.jobs = options.registry.jobs;
    auto image = transformed(open_image_source(source, options.registry, context), {},
                             options.encryption, context);
    auto copied = copy_to_registry(*image, target, options.registry, copy_options, context);
    PushResult result;
    result.reference = target.str();
    result.root = copied.root;
    result.pushed = copied.copied;
    result.skipped = copied.present;
    result.mounted = copied.mounted;
    result.bytes = copied.bytes;
    return result;
}

PullResult pull_image(ImageSource& source, const std::string& dir, const std::string& tag,
                      const PullOptions& options, const Context& context) {
    CopyOptions copy_options;
    copy_options.tags = {tag};
    copy_options.jobs = options.registry.jobs;
    copy_options.load_name_repository = repository_of(source);
    auto copied = copy_to_layout(source, dir, copy_options, context);
    PullResult result;
    result.source = copied.source;
    result.destination = copied.destination;
    result.root = copied.root;
    result.manifests = copied.manifests;
    result.copied = copied.copied;
    result.present = copied.present;
    result.bytes = copied.bytes;
    return result;
}

PullResult pull(const std::string& source, const std::string& destination,
                const PullOptions& options, const Context& context) {
    auto target = parse_local_target(destination);
    if (target.kind != LocalTarget::Kind::layout)
        throw UsageError("pull writes an OCI layout: give -o oci:DIR[:TAG], not \"" + destination +
                         "\"");
    auto tag = !target.tag.empty() ? target.tag : source_tag(source);
    auto image = open_image_source(source, options.registry, context);
    verify_source_signature(source, *image, options.verify_key, options.registry, context);
    if (!options.decryption.keys.empty())
        image = decrypting_source(std::move(image), options.decryption);
    return pull_image(*image, target.path, tag.empty() ? "latest" : tag, options, context);
}

} // namespace ckimg
