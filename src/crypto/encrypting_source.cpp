// encrypting_source(): every chosen layer is encrypted once, up front, into a spool file (its
// digest is known only then), and the image graph is rewritten to the new descriptors; the copy
// that follows reads the encrypted blobs from the spool like any layout's files.
#include <ckimg/encryption.hpp>
#include <ckimg/error.hpp>
#include <ckimg/format.hpp>
#include <ckimg/media_types.hpp>

#include "core/pipeline.hpp"
#include "core/temp_dir.hpp"
#include "crypto/layer_encryptor.hpp"
#include "crypto/rewritten_source.hpp"
#include "oci/archive_file.hpp"
#include "oci/verified_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <vector>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::uint64_t kProgressStep = 1 << 20;

// A new spool file, closed (and checked) by close().
class SpoolFile {
public:
    explicit SpoolFile(const fs::path& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0) throw IoError(errno_message("cannot create " + path.string()));
    }
    ~SpoolFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;
    int fd() const { return fd_; }
    void close() {
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) throw IoError(errno_message("cannot write " + path_.string()));
    }

private:
    fs::path path_;
    int fd_ = -1;
};

class EncryptingSource : public crypto::RewrittenSource {
public:
    EncryptingSource(std::unique_ptr<ImageSource> source, const EncryptionOptions& options,
                     const Context& context)
        : RewrittenSource(std::move(source)), encryptor_(options) {
        rewrite(read_image_graph(inner()),
                [this, &context](nlohmann::json& doc, const ManifestNode& node) {
                    return rewrite_manifest(doc, node, context);
                });
    }

private:
    bool replaces(const Digest& digest) const override { return files_.count(digest) != 0; }

    std::unique_ptr<ByteSource> open_replaced(const Descriptor& blob) override {
        auto file = files_.find(blob.digest);
        if (file == files_.end()) return nullptr;
        return std::make_unique<VerifiedSource>(
            open_blob_file(file->second, blob, describe() + " (encrypted)"), blob,
            describe() + " (encrypted)");
    }

    fs::path replaced_file(const Descriptor& blob) const override {
        auto file = files_.find(blob.digest);
        return file == files_.end() ? fs::path() : file->second;
    }

    bool rewrite_manifest(nlohmann::json& doc, const ManifestNode& node, const Context& context) {
        if (!doc.contains("layers") || !doc["layers"].is_array()) return false;
        const Format* format = detect_format(doc);
        bool docker = node.descriptor.media_type == media_type::docker_manifest;
        int count = static_cast<int>(doc["layers"].size());
        bool changed = false;
        int index = 0;
        for (auto& entry : doc["layers"]) {
            Descriptor layer = descriptor_from_json(entry, describe() + ": layer");
            int number = index++;
            if (is_encrypted_media_type(layer.media_type)) continue; // left as it is
            bool descriptive = format != nullptr && format->is_descriptive_layer(layer);
            if (!encryptor_.encrypts(number, count, descriptive)) continue;
            std::string label = describe() + ": layer " + std::to_string(number + 1) + " (" +
                                layer.digest.str().substr(0, 19) + ") of manifest " +
                                node.descriptor.digest.str().substr(0, 19);
            if (docker)
                throw InputError(label + ": a Docker manifest's layers cannot be encrypted "
                                         "(ocicrypt encrypts OCI images only)");
            const Descriptor& encrypted = encrypt(layer, context);
            entry["mediaType"] = encrypted.media_type;
            entry["digest"] = encrypted.digest.str();
            entry["size"] = encrypted.size;
            entry["annotations"] = to_json(encrypted.annotations);
            changed = true;
        }
        return changed;
    }

    // The layer encrypted into a spool file, once however many manifests list it.
    const Descriptor& encrypt(const Descriptor& layer, const Context& context) {
        auto done = by_plain_.find(layer.digest);
        if (done != by_plain_.end()) return done->second;
        context.throw_if_cancelled();
        auto path = spool_.path() / std::to_string(by_plain_.size());
        SpoolFile file(path);
        FdSink out(file.fd(), path.string(), context.cancel);
        HashingSink stored(out);
        crypto::LayerEncryptor::Stage stage(encryptor_, stored);
        ProgressSink counted(stage, context.progress, "encrypt " + layer.digest.str().substr(7, 11),
                             kProgressStep, static_cast<std::uint64_t>(layer.size));
        auto in = inner().open_blob(layer); // verifies the plain blob's size and digest
        std::vector<std::uint8_t> buffer(kChunk);
        for (;;) {
            context.throw_if_cancelled();
            auto n = in->read(buffer.data(), buffer.size());
            if (n == 0) break;
            counted.write(buffer.data(), n);
        }
        counted.finish();
        file.close();
        Descriptor encrypted = layer;
        encrypted.digest = stored.digest();
        encrypted.size = static_cast<std::int64_t>(stored.size());
        stage.describe(encrypted);
        files_[encrypted.digest] = path;
        return by_plain_.emplace(layer.digest, std::move(encrypted)).first->second;
    }

    crypto::LayerEncryptor encryptor_;
    TempDir spool_{"ckimg-encrypt"};
    std::map<Digest, Descriptor> by_plain_; // encrypted descriptors by the plain layer's digest
    std::map<Digest, fs::path> files_;      // by the digest of the encrypted blob
};

} // namespace

std::unique_ptr<ImageSource> encrypting_source(std::unique_ptr<ImageSource> inner,
                                               const EncryptionOptions& options,
                                               const Context& context) {
    return std::make_unique<EncryptingSource>(std::move(inner), options, context);
}

} // namespace ckimg
