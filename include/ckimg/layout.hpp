// The OCI image layout on disk (image-spec image-layout.md), as a sink and a source.
#pragma once

#include <ckimg/sink.hpp>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ckimg {

class OciLayout : public ImageSink {
public:
    // Opens the layout at `dir`, creating it when `create` and it does not exist. An existing
    // directory that is neither empty nor a layout is refused (InputError). New files are 0600
    // (checkpoints hold process memory) unless `world_readable`.
    static std::unique_ptr<OciLayout> open(const std::filesystem::path& dir, bool create,
                                           bool world_readable = false);
    // Whether open() made the directory (so a failed build can remove it whole).
    bool created() const { return created_; }

    std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) override;
    std::filesystem::path blob_file(const Digest& digest) const override;
    BlobReuse try_reuse_blob(const Descriptor& blob,
                             const std::vector<std::string>& related) override;
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override;
    void tag(const Descriptor& root, const std::string& tag) override;
    void commit() override {}
    std::string describe(const std::string& tag) const override;

    const std::filesystem::path& dir() const { return dir_; }
    bool has_blob(const Digest& digest) const;
    std::filesystem::path blob_path(const Digest& digest) const;
    // Reads a small blob whole, refusing blobs over `limit` bytes, verifying its digest.
    std::string read_blob(const Digest& digest, std::size_t limit = 4 << 20) const;
    // The descriptor index.json gives for `tag`; with an empty tag, the only entry.
    Descriptor resolve(const std::string& tag) const;
    std::vector<Descriptor> entries() const;

    // Moves every blob of `other` that this layout lacks into this one (same filesystem).
    void adopt_blobs(const OciLayout& other);

private:
    OciLayout(std::filesystem::path dir, bool world_readable, bool created);
    nlohmann::json read_index() const;
    std::filesystem::path dir_;
    bool world_readable_;
    bool created_;
};

// An OCI layout packed in a tar file (oci-archive:FILE:TAG). Works on a private temporary layout
// next to the file and renames the packed tar into place on commit().
class OciArchiveSink : public ImageSink {
public:
    OciArchiveSink(std::filesystem::path file, bool world_readable = false);
    ~OciArchiveSink() override;
    std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) override {
        return layout_->create_blob(replay);
    }
    std::filesystem::path blob_file(const Digest& digest) const override {
        return layout_->blob_file(digest);
    }
    BlobReuse try_reuse_blob(const Descriptor& blob,
                             const std::vector<std::string>& related) override {
        return layout_->try_reuse_blob(blob, related);
    }
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override {
        return layout_->put_blob(media_type, bytes);
    }
    void tag(const Descriptor& root, const std::string& tag) override { layout_->tag(root, tag); }
    void commit() override;
    std::string describe(const std::string& tag) const override;

private:
    std::filesystem::path file_;
    std::filesystem::path work_dir_;
    std::unique_ptr<OciLayout> layout_;
    bool world_readable_;
};

// Unpacks an oci-archive into `dir` (refusing entries outside it).
void unpack_oci_archive(const std::filesystem::path& file, const std::filesystem::path& dir);

} // namespace ckimg
