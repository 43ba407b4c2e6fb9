// Image sources on disk (an OCI layout, an OCI archive), the choice between them and a registry,
// and what every source shares: reading manifests safely and resolving a root to one image.
#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>
#include <ckimg/transport.hpp>

#include "core/json_limits.hpp"
#include "core/temp_dir.hpp"
#include "oci/verified_source.hpp"
#include "registry/registry_source.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

std::string with_tag(const std::string& prefix, const std::string& path, const std::string& tag) {
    return prefix + path + (tag.empty() ? "" : ":" + tag);
}

class LayoutSource final : public ImageSource {
public:
    LayoutSource(const fs::path& dir, const std::string& tag, std::string name)
        : layout_(OciLayout::open(dir, false)), root_(layout_->resolve(tag)),
          name_(std::move(name)) {}

    Descriptor root() const override { return root_; }

    std::string read_blob(const Descriptor& blob, std::size_t limit) override {
        check_size_limit(blob, limit, name_);
        auto stream = open_blob(blob);
        return read_all(*stream, blob);
    }

    std::unique_ptr<ByteSource> open_blob(const Descriptor& blob) override {
        check_digest_algorithm(blob, name_);
        return std::make_unique<VerifiedSource>(
            open_blob_file(layout_->blob_path(blob.digest), blob, name_), blob, name_);
    }

    fs::path blob_file(const Descriptor& blob) const override {
        check_digest_algorithm(blob, name_);
        return layout_->blob_path(blob.digest);
    }

    std::string describe() const override { return name_; }

private:
    std::unique_ptr<OciLayout> layout_;
    Descriptor root_;
    std::string name_;
};

// An OCI archive is a tar without an index of its members, so it is unpacked once into a private
// directory (mode 0700: images hold process memory) and read as a layout from there.
class OciArchiveSource final : public ImageSource {
public:
    OciArchiveSource(const fs::path& file, const std::string& tag, std::string name) {
        if (!fs::exists(file)) throw InputError(file.string() + ": no such OCI archive");
        unpack_oci_archive(file, temp_.path());
        layout_.emplace(temp_.path(), tag, std::move(name));
    }

    Descriptor root() const override { return layout_->root(); }
    std::string read_blob(const Descriptor& blob, std::size_t limit) override {
        return layout_->read_blob(blob, limit);
    }
    std::unique_ptr<ByteSource> open_blob(const Descriptor& blob) override {
        return layout_->open_blob(blob);
    }
    fs::path blob_file(const Descriptor& blob) const override { return layout_->blob_file(blob); }
    std::string describe() const override { return layout_->describe(); }

private:
    TempDir temp_{"ckimg-archive"}; // declared first: destroyed after the layout that reads it
    std::optional<LayoutSource> layout_;
};

} // namespace

std::unique_ptr<ImageSource> open_image_source(const std::string& name,
                                               const RegistryOptions& registry,
                                               const Context& context) {
    if (is_local_target(name)) {
        auto target = parse_local_target(name);
        if (target.kind == LocalTarget::Kind::layout)
            return std::make_unique<LayoutSource>(target.path, target.tag,
                                                  with_tag("oci:", target.path, target.tag));
        return std::make_unique<OciArchiveSource>(
            target.path, target.tag, with_tag("oci-archive:", target.path, target.tag));
    }
    return open_registry_source(Reference::parse(name), registry, context);
}

} // namespace ckimg
