// Incremental SHA-256 (OpenSSL EVP), for the manifest's digests computed while writing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace ckimg::gen {

class Sha256 {
public:
    Sha256();

    void update(const void* data, std::size_t size);

    // Lowercase hex digest; the object is finished afterwards.
    std::string hex_digest();

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

} // namespace ckimg::gen
