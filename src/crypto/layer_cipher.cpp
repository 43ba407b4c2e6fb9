#include "crypto/layer_cipher.hpp"

#include <ckimg/error.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <climits>
#include <vector>

namespace ckimg::crypto {

namespace {

struct MacFree {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// AES-256-CTR keystream plus HMAC-SHA256, the work both directions share.
class CtrHmac {
public:
    CtrHmac(const Secret& key, const std::string& nonce) {
        if (key.size() != kLayerKeySize)
            throw InputError("layer key has " + std::to_string(key.size()) + " bytes, need 32");
        if (nonce.size() != kLayerNonceSize)
            throw InputError("layer nonce has " + std::to_string(nonce.size()) + " bytes, need 16");
        cipher_.reset(EVP_CIPHER_CTX_new());
        if (!cipher_ ||
            EVP_EncryptInit_ex(cipher_.get(), EVP_aes_256_ctr(), nullptr, key.data(),
                               reinterpret_cast<const unsigned char*>(nonce.data())) != 1)
            throw_openssl("AES-256-CTR");
        mac_ = HMAC_CTX_ptr(key);
    }

    // XORs the keystream over `size` bytes of `in` into `out`.
    void crypt(const std::uint8_t* in, std::uint8_t* out, std::size_t size) {
        while (size > 0) {
            int n = static_cast<int>(std::min<std::size_t>(size, INT_MAX / 2));
            int produced = 0;
            if (EVP_EncryptUpdate(cipher_.get(), out, &produced, in, n) != 1 || produced != n)
                throw_openssl("AES-256-CTR");
            in += n;
            out += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    void mac(const std::uint8_t* data, std::size_t size) {
        if (EVP_MAC_update(mac_.get(), data, size) != 1) throw_openssl("HMAC-SHA256");
    }
    std::string mac_final() {
        std::string out(32, '\0');
        std::size_t length = 0;
        if (EVP_MAC_final(mac_.get(), reinterpret_cast<unsigned char*>(out.data()), &length,
                          out.size()) != 1 ||
            length != out.size())
            throw_openssl("HMAC-SHA256");
        return out;
    }

private:
    static std::unique_ptr<EVP_MAC_CTX, MacFree> HMAC_CTX_ptr(const Secret& key) {
        std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(
            EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free);
        std::unique_ptr<EVP_MAC_CTX, MacFree> ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
        if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1)
            throw_openssl("HMAC-SHA256");
        return ctx;
    }

    CipherCtx cipher_;
    std::unique_ptr<EVP_MAC_CTX, MacFree> mac_;
};

constexpr std::size_t kBlock = std::size_t{64} * 1024;

} // namespace

struct EncryptingSink::State {
    State(ByteSink& n, const Secret& key, const std::string& nonce) : next(n), ctr(key, nonce) {}
    ByteSink& next;
    CtrHmac ctr;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kBlock);
};

EncryptingSink::EncryptingSink(ByteSink& next)
    : EncryptingSink(next, Secret(random_bytes(kLayerKeySize)), random_bytes(kLayerNonceSize)) {}

EncryptingSink::EncryptingSink(ByteSink& next, Secret key, std::string nonce)
    : state_(std::make_unique<State>(next, key, nonce)) {
    secrets_.key = std::move(key);
    secrets_.nonce = std::move(nonce);
}

EncryptingSink::~EncryptingSink() {
    if (state_) OPENSSL_cleanse(state_->buffer.data(), state_->buffer.size());
}

void EncryptingSink::write(const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        std::size_t n = std::min(size, state_->buffer.size());
        state_->ctr.crypt(data, state_->buffer.data(), n);
        state_->ctr.mac(state_->buffer.data(), n);
        state_->next.write(state_->buffer.data(), n);
        data += n;
        size -= n;
    }
}

void EncryptingSink::finish() {
    secrets_.hmac = state_->ctr.mac_final();
    state_->next.finish();
}

struct DecryptingSink::State {
    State(ByteSink& n, const LayerSecrets& s, std::string l)
        : next(n), ctr(s.key, s.nonce), expected(s.hmac), layer(std::move(l)) {}
    ByteSink& next;
    CtrHmac ctr;
    std::string expected;
    std::string layer;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kBlock);
};

DecryptingSink::DecryptingSink(ByteSink& next, const LayerSecrets& secrets, std::string layer)
    : state_(std::make_unique<State>(next, secrets, std::move(layer))) {
    if (secrets.hmac.size() != 32)
        throw InputError(state_->layer + ": encrypted layer has no valid HMAC in its pubopts");
}

DecryptingSink::~DecryptingSink() {
    if (state_) OPENSSL_cleanse(state_->buffer.data(), state_->buffer.size());
}

void DecryptingSink::write(const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        std::size_t n = std::min(size, state_->buffer.size());
        state_->ctr.mac(data, n);
        state_->ctr.crypt(data, state_->buffer.data(), n);
        state_->next.write(state_->buffer.data(), n);
        data += n;
        size -= n;
    }
}

void DecryptingSink::finish() {
    std::string actual = state_->ctr.mac_final();
    if (CRYPTO_memcmp(actual.data(), state_->expected.data(), actual.size()) != 0)
        throw InputError(state_->layer +
                         ": HMAC of the encrypted layer does not match (tampered ciphertext, or "
                         "annotations of another layer)");
    state_->next.finish();
}

} // namespace ckimg::crypto
