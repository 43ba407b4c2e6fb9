// ocicrypt's layer cipher AES_256_CTR_HMAC_SHA256 as streaming stages: the whole 16-byte nonce
// is the initial counter block, and HMAC-SHA256 keyed with the same 32-byte key covers the
// ciphertext (encrypt-then-MAC), as containers/ocicrypt's blockcipher package does.
#pragma once

#include "crypto/openssl_util.hpp"

#include <ckimg/stream.hpp>

#include <memory>
#include <string>

namespace ckimg::crypto {

inline constexpr const char* kLayerCipher = "AES_256_CTR_HMAC_SHA256";
inline constexpr std::size_t kLayerKeySize = 32;
inline constexpr std::size_t kLayerNonceSize = 16;

// The symmetric secrets of one encrypted layer, and the MAC that goes in the public options.
struct LayerSecrets {
    Secret key;
    std::string nonce;
    std::string hmac;
};

// Encrypts every byte written and passes the ciphertext on to `next`; after finish(), secrets()
// holds the key, nonce and HMAC. A fresh random key and nonce per layer unless given.
class EncryptingSink : public ByteSink {
public:
    explicit EncryptingSink(ByteSink& next);
    EncryptingSink(ByteSink& next, Secret key, std::string nonce);
    ~EncryptingSink() override;
    void write(const std::uint8_t* data, std::size_t size) override;
    using ByteSink::write;
    void finish() override;
    const LayerSecrets& secrets() const { return secrets_; }

private:
    struct State;
    std::unique_ptr<State> state_;
    LayerSecrets secrets_;
};

// Decrypts and passes the plaintext on; finish() compares the HMAC of all ciphertext seen with
// the expected one and throws InputError naming `layer` on a mismatch, before finishing `next`,
// so a destination that commits only after finish() never holds unauthenticated plaintext.
class DecryptingSink : public ByteSink {
public:
    DecryptingSink(ByteSink& next, const LayerSecrets& secrets, std::string layer);
    ~DecryptingSink() override;
    void write(const std::uint8_t* data, std::size_t size) override;
    using ByteSink::write;
    void finish() override;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace ckimg::crypto
