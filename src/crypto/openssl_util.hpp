// Small RAII owners and helpers over OpenSSL for the crypto module: every failure becomes one
// Error line, and secret buffers are wiped when they go.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace ckimg::crypto {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// A byte string that is wiped (OPENSSL_cleanse) when destroyed: symmetric keys, passphrases.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string bytes) : bytes_(std::move(bytes)) {}
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&&) = default;
    Secret& operator=(Secret&&) = default;
    ~Secret();
    const std::string& bytes() const { return bytes_; }
    std::string& bytes() { return bytes_; }
    std::size_t size() const { return bytes_.size(); }
    const unsigned char* data() const {
        return reinterpret_cast<const unsigned char*>(bytes_.data());
    }

private:
    std::string bytes_;
};

// Throws Error("what: <OpenSSL's reason>") and clears OpenSSL's error queue.
[[noreturn]] void throw_openssl(const std::string& what);
// `size` bytes from OpenSSL's CSPRNG.
std::string random_bytes(std::size_t size);
std::string sha256_raw(std::string_view data);

// RFC 4648 §5 without padding, as JOSE uses it; decode returns false on anything malformed.
std::string base64url_encode(std::string_view data);
bool base64url_decode(std::string_view text, std::string& out);
// RFC 4648 §4 with padding (Go's base64.StdEncoding), strict.
std::string base64_encode(std::string_view data);
bool base64_decode(std::string_view text, std::string& out);

} // namespace ckimg::crypto
