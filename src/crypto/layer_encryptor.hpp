// The build side of layer encryption: the recipients' keys, loaded once per build, and the
// stage that encrypts one layer's stored bytes as they stream (see include/ckimg/encryption.hpp).
#pragma once

#include "core/pipeline.hpp"
#include "crypto/layer_cipher.hpp"
#include "crypto/openssl_util.hpp"

#include <ckimg/descriptor.hpp>
#include <ckimg/encryption.hpp>

#include <memory>
#include <vector>

namespace ckimg::crypto {

class LayerEncryptor {
public:
    explicit LayerEncryptor(const EncryptionOptions& options);
    // Is the layer numbered `index` (from 0, in the order the format begins them) encrypted?
    // Without --encrypt-layer every layer is, except a descriptive one.
    bool encrypts(int index, bool descriptive) const {
        return options_.layers.empty() ? !descriptive : options_.encrypts(index, -1);
    }

    // Encrypts what is written (the compressed layer) into `next` (the stored blob); after
    // finish(), describe() turns the plain layer's descriptor into the encrypted one.
    class Stage : public ByteSink {
    public:
        Stage(const LayerEncryptor& owner, ByteSink& next)
            : owner_(owner), cipher_(next), plain_(cipher_) {}
        using ByteSink::write;
        void write(const std::uint8_t* data, std::size_t size) override {
            plain_.write(data, size);
        }
        void finish() override;
        // `stored` has the digest and size of the encrypted blob; gets the media type and the
        // annotations of an encrypted layer.
        void describe(Descriptor& stored) const;

    private:
        const LayerEncryptor& owner_;
        EncryptingSink cipher_;
        HashingSink plain_; // the unencrypted blob's digest, which the private options record
    };

private:
    EncryptionOptions options_;
    std::vector<Pkey> keys_;
    std::vector<const EVP_PKEY*> recipients_;
};

} // namespace ckimg::crypto
