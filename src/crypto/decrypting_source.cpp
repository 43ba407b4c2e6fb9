// decrypting_source(): the image graph is read and rewritten once, up front (manifests are
// small); blobs are decrypted while they stream.
#include <ckimg/encryption.hpp>
#include <ckimg/error.hpp>
#include <ckimg/image.hpp>

#include "crypto/layer_encryption.hpp"

#include <map>

namespace ckimg {

namespace {

struct EncryptedBlob {
    Descriptor stored; // as the inner source has it
    crypto::LayerSecrets secrets;
    Digest plain_digest;
    std::string label;
};

// The plaintext of one encrypted blob: decrypted as read, HMAC and plaintext digest checked
// when the inner stream ends, before this one reports its end.
class DecryptingBlob : public ByteSource {
public:
    DecryptingBlob(std::unique_ptr<ByteSource> inner, const EncryptedBlob& blob)
        : inner_(std::move(inner)), blob_(blob), decrypt_(out_, blob.secrets, blob.label) {}

    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        if (done_) return 0;
        std::size_t n = inner_->read(buffer, capacity);
        if (n == 0) {
            decrypt_.finish(); // throws on a wrong HMAC
            if (hash_.finish() != blob_.plain_digest)
                throw InputError(blob_.label + ": decrypted layer does not match the digest " +
                                 blob_.plain_digest.str() + " its options record");
            done_ = true;
            return 0;
        }
        out_.target = buffer;
        decrypt_.write(buffer, n); // in place: CTR keeps the length
        hash_.update(buffer, n);
        return n;
    }

private:
    // Where the decrypting stage writes: back into the caller's buffer.
    struct InPlace : ByteSink {
        std::uint8_t* target = nullptr;
        using ByteSink::write;
        void write(const std::uint8_t* data, std::size_t size) override {
            std::copy(data, data + size, target);
            target += size;
        }
        void finish() override {}
    };

    std::unique_ptr<ByteSource> inner_;
    const EncryptedBlob& blob_;
    InPlace out_;
    crypto::DecryptingSink decrypt_;
    Sha256 hash_;
    bool done_ = false;
};

class DecryptingSource : public ImageSource {
public:
    DecryptingSource(std::unique_ptr<ImageSource> inner, const DecryptionOptions& options)
        : inner_(std::move(inner)), root_(inner_->root()) {
        for (const auto& spec : options.keys)
            keys_.push_back(
                crypto::load_private_key(crypto::PrivateKeySpec::parse(spec), options.warn));
        rewrite(read_image_graph(*inner_));
    }

    bool changed() const { return !blobs_.empty(); }

    Descriptor root() const override { return root_; }

    std::string read_blob(const Descriptor& blob, std::size_t limit) override {
        auto doc = documents_.find(blob.digest);
        if (doc != documents_.end()) return doc->second;
        auto enc = blobs_.find(blob.digest);
        if (enc == blobs_.end()) return inner_->read_blob(blob, limit);
        if (static_cast<std::uint64_t>(enc->second.stored.size) > limit)
            throw InputError(enc->second.label + ": over " + std::to_string(limit) + " bytes");
        auto stream = open_blob(blob);
        std::string out(static_cast<std::size_t>(enc->second.stored.size), '\0');
        std::size_t at = 0;
        std::uint8_t spare[1];
        while (at < out.size()) {
            std::size_t n =
                stream->read(reinterpret_cast<std::uint8_t*>(out.data()) + at, out.size() - at);
            if (n == 0) break;
            at += n;
        }
        if (at != out.size() || stream->read(spare, 1) != 0)
            throw InputError(enc->second.label + ": blob is not of its stated size");
        return out;
    }

    std::unique_ptr<ByteSource> open_blob(const Descriptor& blob) override {
        auto enc = blobs_.find(blob.digest);
        if (enc == blobs_.end()) return inner_->open_blob(blob);
        return std::make_unique<DecryptingBlob>(inner_->open_blob(enc->second.stored), enc->second);
    }

    std::string describe() const override { return inner_->describe(); }
    void cancel() override { inner_->cancel(); }

private:
    // Manifests come before the indexes that list them, the root last.
    void rewrite(const ImageGraph& graph) {
        std::map<Digest, Descriptor> replaced;
        for (const auto& node : graph.manifests) {
            nlohmann::json doc = node.json;
            bool changed = node.is_index() ? rewrite_index(doc, replaced)
                                           : rewrite_manifest(doc, node.descriptor);
            if (!changed) continue;
            std::string bytes = canonical_json(doc);
            Descriptor updated = node.descriptor;
            updated.digest = sha256_of(bytes);
            updated.size = static_cast<std::int64_t>(bytes.size());
            replaced[node.descriptor.digest] = updated;
            documents_[updated.digest] = std::move(bytes);
        }
        auto root = replaced.find(root_.digest);
        if (root != replaced.end()) {
            root_.digest = root->second.digest;
            root_.size = root->second.size;
        }
    }

    bool rewrite_index(nlohmann::json& doc, const std::map<Digest, Descriptor>& replaced) {
        bool changed = false;
        for (auto& entry : doc["manifests"]) {
            auto it = replaced.find(Digest::parse(entry["digest"].get<std::string>()));
            if (it == replaced.end()) continue;
            entry["digest"] = it->second.digest.str();
            entry["size"] = it->second.size;
            changed = true;
        }
        return changed;
    }

    bool rewrite_manifest(nlohmann::json& doc, const Descriptor& manifest) {
        if (!doc.contains("layers") || !doc["layers"].is_array()) return false;
        bool changed = false;
        int index = 0;
        for (auto& entry : doc["layers"]) {
            ++index;
            Descriptor layer = descriptor_from_json(entry, inner_->describe() + ": layer");
            if (!is_encrypted_media_type(layer.media_type)) continue;
            std::string label = inner_->describe() + ": layer " + std::to_string(index) + " (" +
                                layer.digest.str().substr(0, 19) + ") of manifest " +
                                manifest.digest.str().substr(0, 19);
            auto unwrapped = crypto::unwrap_layer(layer, keys_, label);
            entry["mediaType"] = decrypted_media_type(layer.media_type);
            entry["digest"] = unwrapped.plain_digest.str();
            auto kept = crypto::without_encryption_annotations(layer.annotations);
            if (kept.empty())
                entry.erase("annotations");
            else
                entry["annotations"] = to_json(kept);
            blobs_[unwrapped.plain_digest] =
                EncryptedBlob{layer, std::move(unwrapped.secrets), unwrapped.plain_digest, label};
            changed = true;
        }
        return changed;
    }

    std::unique_ptr<ImageSource> inner_;
    Descriptor root_;
    std::vector<crypto::PrivateKey> keys_;
    std::map<Digest, std::string> documents_; // rewritten manifests and indexes
    std::map<Digest, EncryptedBlob> blobs_;   // by the digest of the plaintext
};

} // namespace

std::unique_ptr<ImageSource> decrypting_source(std::unique_ptr<ImageSource> inner,
                                               const DecryptionOptions& options) {
    auto source = std::make_unique<DecryptingSource>(std::move(inner), options);
    return source;
}

std::optional<LayerEncryptionInfo> layer_encryption_info(const Descriptor& layer,
                                                         const std::string& where) {
    if (!is_encrypted_media_type(layer.media_type)) return std::nullopt;
    auto summary = crypto::summarize_encryption(layer, where);
    return LayerEncryptionInfo{summary.cipher, summary.recipients};
}

std::string EncryptionOptions::recipient_from_flag(const std::string& flag) {
    if (flag.rfind("jwe:", 0) != 0 || flag.size() == 4)
        throw UsageError("--encryption-key " + flag.substr(0, 40) +
                         ": expected jwe:PUBLIC-KEY-FILE (the only scheme ckimg implements)");
    return flag.substr(4);
}

bool EncryptionOptions::encrypts(int index, int count) const {
    if (layers.empty()) return true;
    for (int wanted : layers) {
        if (wanted < 0 && count < 0)
            throw UsageError(
                "--encrypt-layer " + std::to_string(wanted) +
                ": negative layer numbers need an existing image; build counts from 0");
        if (wanted == index || (wanted < 0 && count + wanted == index)) return true;
    }
    return false;
}

} // namespace ckimg
