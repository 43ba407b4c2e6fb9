#include "crypto/layer_encryptor.hpp"

#include "crypto/keys.hpp"
#include "crypto/layer_encryption.hpp"

#include <stdexcept>

namespace ckimg::crypto {

LayerEncryptor::LayerEncryptor(const EncryptionOptions& options) : options_(options) {
    for (const auto& path : options.recipients) {
        keys_.push_back(load_public_key(path));
        recipients_.jwe.push_back(keys_.back().get());
    }
    for (const auto& path : options.certificates) {
        certificates_.push_back(load_recipient_certificate(path));
        recipients_.pkcs7.push_back(certificates_.back().get());
    }
}

void LayerEncryptor::Stage::finish() {
    if (hashing_)
        plain_.finish();
    else
        cipher_.finish();
}

void LayerEncryptor::Stage::describe(Descriptor& stored, const std::optional<Digest>& plain) const {
    if (!hashing_ && !plain)
        throw std::logic_error("LayerEncryptor::Stage: the unencrypted blob's digest is missing");
    stored.media_type = encrypted_media_type(stored.media_type);
    for (auto& [key, value] : encryption_annotations(
             cipher_.secrets(), hashing_ ? plain_.digest() : *plain, owner_.recipients_))
        stored.annotations[key] = std::move(value);
}

} // namespace ckimg::crypto
