// What decrypting_source and encrypting_source share: an ImageSource over another that presents
// some of its layers as other blobs, with the manifests and indexes rewritten to match.
#pragma once

#include <ckimg/image.hpp>
#include <ckimg/source.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace ckimg::crypto {

class RewrittenSource : public ImageSource {
public:
    explicit RewrittenSource(std::unique_ptr<ImageSource> inner)
        : inner_(std::move(inner)), root_(inner_->root()) {}

    Descriptor root() const override { return root_; }
    // A rewritten manifest or index from memory, a replaced blob read whole from its stream,
    // anything else from the inner source.
    std::string read_blob(const Descriptor& blob, std::size_t limit) override;
    std::unique_ptr<ByteSource> open_blob(const Descriptor& blob) override {
        if (auto replaced = open_replaced(blob)) return replaced;
        return inner_->open_blob(blob);
    }
    std::filesystem::path blob_file(const Descriptor& blob) const override {
        return replaces(blob.digest) ? replaced_file(blob) : inner_->blob_file(blob);
    }
    std::string describe() const override { return inner_->describe(); }
    void cancel() override { inner_->cancel(); }

protected:
    // Edits one image manifest's JSON in place; true when it changed.
    using ManifestEdit = std::function<bool(nlohmann::json& manifest, const ManifestNode& node)>;
    // Rewrites every manifest `edit` changes, then the indexes that list a rewritten manifest
    // (children first, as the graph orders them), then the root.
    void rewrite(const ImageGraph& graph, const ManifestEdit& edit);

    // Is `digest` a blob this source serves itself (not the inner source)?
    virtual bool replaces(const Digest& digest) const = 0;
    // Its stream (verified as ImageSource::open_blob promises); null for a blob not replaced.
    virtual std::unique_ptr<ByteSource> open_replaced(const Descriptor& blob) = 0;
    // The file holding a replaced blob, when there is one.
    virtual std::filesystem::path replaced_file(const Descriptor& blob) const {
        (void)blob;
        return {};
    }

    ImageSource& inner() { return *inner_; }

private:
    std::unique_ptr<ImageSource> inner_;
    Descriptor root_;
    std::map<Digest, std::string> documents_; // rewritten manifests and indexes
};

} // namespace ckimg::crypto
