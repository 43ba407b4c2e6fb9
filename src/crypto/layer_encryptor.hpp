// The build side of layer encryption: the recipients' keys, loaded once per build, and the
// stage that encrypts one layer's stored bytes as they stream (see include/ckimg/encryption.hpp).
#pragma once

#include "core/pipeline.hpp"
#include "crypto/layer_cipher.hpp"
#include "crypto/layer_encryption.hpp"
#include "crypto/openssl_util.hpp"
#include "crypto/pkcs7.hpp"

#include <ckimg/descriptor.hpp>
#include <ckimg/encryption.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace ckimg::crypto {

class LayerEncryptor {
public:
    explicit LayerEncryptor(const EncryptionOptions& options);
    // Is the layer numbered `index` (from 0, in the order the format begins them, or in the
    // manifest) of `count` encrypted? Without --encrypt-layer every layer is, except a
    // descriptive one (Format::is_descriptive_layer); with it, the layers it names. build and
    // encrypting_source both decide here; a build, which does not know its count, passes -1.
    bool encrypts(int index, int count, bool descriptive) const {
        return options_.layers.empty() ? !descriptive : options_.encrypts(index, count);
    }

    // Encrypts what is written (the compressed layer) into `next` (the stored blob); after
    // finish(), describe() turns the plain layer's descriptor into the encrypted one.
    class Stage : public ByteSink {
    public:
        // The private options record the unencrypted blob's digest: the stage hashes what it
        // encrypts, or, `given`, is told it by describe() (an uncompressed layer's blob is its
        // tar, whose diff ID is already being hashed: a second SHA-256 pass saved).
        enum class PlainDigest { hashed, given };
        Stage(const LayerEncryptor& owner, ByteSink& next, PlainDigest plain = PlainDigest::hashed)
            : owner_(owner), cipher_(next), plain_(cipher_),
              hashing_(plain == PlainDigest::hashed) {}
        using ByteSink::write;
        void write(const std::uint8_t* data, std::size_t size) override {
            if (hashing_)
                plain_.write(data, size);
            else
                cipher_.write(data, size);
        }
        void finish() override;
        // `stored` has the digest and size of the encrypted blob; gets the media type and the
        // annotations of an encrypted layer. `plain`: the unencrypted blob's digest, required
        // for a stage made with PlainDigest::given, ignored otherwise.
        void describe(Descriptor& stored, const std::optional<Digest>& plain = {}) const;

    private:
        const LayerEncryptor& owner_;
        EncryptingSink cipher_;
        HashingSink plain_;
        bool hashing_;
    };

private:
    EncryptionOptions options_;
    std::vector<Pkey> keys_;
    std::vector<Certificate> certificates_;
    Recipients recipients_;
};

} // namespace ckimg::crypto
