// decrypting_source(): the image graph is read and rewritten once, up front (manifests are
// small); blobs are decrypted while they stream.
#include <ckimg/encryption.hpp>
#include <ckimg/error.hpp>
#include <ckimg/image.hpp>

#include "crypto/layer_encryption.hpp"
#include "crypto/rewritten_source.hpp"

#include <map>

namespace ckimg {

namespace {

using crypto::RewrittenSource;

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

class DecryptingSource : public RewrittenSource {
public:
    DecryptingSource(std::unique_ptr<ImageSource> source, const DecryptionOptions& options)
        : RewrittenSource(std::move(source)) {
        std::string certificate;
        for (const auto& spec : options.keys) {
            auto parsed = crypto::PrivateKeySpec::parse(spec);
            if (crypto::is_certificate_file(parsed.path)) {
                certificate = parsed.path;
                continue;
            }
            keys_.push_back(crypto::load_private_key(parsed, options.warn));
        }
        if (keys_.empty() && !certificate.empty())
            throw UsageError("--decryption-key " + certificate +
                             " is a certificate, not a private key: give the certificate's "
                             "private key (KEY.pem) to decrypt");
        rewrite(read_image_graph(inner()), [this](nlohmann::json& doc, const ManifestNode& node) {
            return rewrite_manifest(doc, node.descriptor);
        });
    }

private:
    bool replaces(const Digest& digest) const override { return blobs_.count(digest) != 0; }

    std::unique_ptr<ByteSource> open_replaced(const Descriptor& blob) override {
        auto enc = blobs_.find(blob.digest);
        if (enc == blobs_.end()) return nullptr;
        return std::make_unique<DecryptingBlob>(inner().open_blob(enc->second.stored), enc->second);
    }

    bool rewrite_manifest(nlohmann::json& doc, const Descriptor& manifest) {
        if (!doc.contains("layers") || !doc["layers"].is_array()) return false;
        bool changed = false;
        int index = 0;
        for (auto& entry : doc["layers"]) {
            ++index;
            Descriptor layer = descriptor_from_json(entry, describe() + ": layer");
            if (!is_encrypted_media_type(layer.media_type)) continue;
            std::string label = describe() + ": layer " + std::to_string(index) + " (" +
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

    std::vector<crypto::PrivateKey> keys_;
    std::map<Digest, EncryptedBlob> blobs_; // by the digest of the plaintext
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

void EncryptionOptions::add_recipient(const std::string& flag) {
    if (flag.rfind("jwe:", 0) == 0 && flag.size() > 4)
        recipients.push_back(flag.substr(4));
    else if (flag.rfind("pkcs7:", 0) == 0 && flag.size() > 6)
        certificates.push_back(flag.substr(6));
    else
        throw UsageError("--encryption-key " + flag.substr(0, 40) +
                         ": expected jwe:PUBLIC-KEY-FILE or pkcs7:CERTIFICATE-FILE (the schemes "
                         "ckimg implements)");
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
