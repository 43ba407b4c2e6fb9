// Content digests ("sha256:<hex>") and an incremental SHA-256 over OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ckimg {

class Digest {
public:
    Digest() = default;
    // Parses "algorithm:hex"; throws InputError on anything but a well-formed sha256/sha512.
    static Digest parse(std::string_view text);
    static Digest sha256_hex(const std::string& hex);

    const std::string& algorithm() const { return algorithm_; }
    const std::string& hex() const { return hex_; }
    std::string str() const { return algorithm_ + ":" + hex_; }
    bool empty() const { return hex_.empty(); }

    friend bool operator==(const Digest& a, const Digest& b) {
        return a.algorithm_ == b.algorithm_ && a.hex_ == b.hex_;
    }
    friend bool operator!=(const Digest& a, const Digest& b) { return !(a == b); }
    friend bool operator<(const Digest& a, const Digest& b) { return a.str() < b.str(); }

private:
    std::string algorithm_;
    std::string hex_;
};

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(const void* data, std::size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Ends the computation; the object must not be updated afterwards.
    Digest finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

Digest sha256_of(std::string_view data);

} // namespace ckimg
