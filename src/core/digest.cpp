#include <ckimg/digest.hpp>
#include <ckimg/error.hpp>

#include "core/hex.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace ckimg {

namespace {

bool is_lower_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

} // namespace

Digest Digest::parse(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos)
        throw InputError("invalid digest \"" + std::string(text.substr(0, 80)) +
                         "\": expected algorithm:hex");
    auto algorithm = text.substr(0, colon);
    auto hex = text.substr(colon + 1);
    std::size_t expected = algorithm == "sha256" ? 64 : algorithm == "sha512" ? 128 : 0;
    if (expected == 0)
        throw InputError("unsupported digest algorithm \"" + std::string(algorithm.substr(0, 20)) +
                         "\"");
    if (hex.size() != expected || !is_lower_hex(hex))
        throw InputError("invalid digest \"" + std::string(text.substr(0, 140)) + "\": expected " +
                         std::to_string(expected) + " lowercase hex digits");
    Digest digest;
    digest.algorithm_ = std::string(algorithm);
    digest.hex_ = std::string(hex);
    return digest;
}

Digest Digest::sha256_hex(const std::string& hex) {
    return parse("sha256:" + hex);
}

struct Sha256::State {
    EVP_MD_CTX* ctx = nullptr;
    ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
    state_->ctx = EVP_MD_CTX_new();
    if (state_->ctx == nullptr || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1)
        throw Error("cannot initialise SHA-256 (OpenSSL)");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
    if (size != 0) EVP_DigestUpdate(state_->ctx, data, size);
}

Digest Sha256::finish() {
    unsigned char bytes[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(state_->ctx, bytes, &length);
    return Digest::sha256_hex(
        to_hex(std::string_view(reinterpret_cast<const char*>(bytes), length)));
}

Digest sha256_of(std::string_view data) {
    Sha256 hash;
    hash.update(data);
    return hash.finish();
}

} // namespace ckimg
