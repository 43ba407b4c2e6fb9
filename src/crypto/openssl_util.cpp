#include "crypto/openssl_util.hpp"

#include <ckimg/error.hpp>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <climits>

namespace ckimg::crypto {

Secret::~Secret() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

void throw_openssl(const std::string& what) {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    std::string reason = "unknown OpenSSL error";
    if (code != 0) {
        std::array<char, 256> text{};
        ERR_error_string_n(code, text.data(), text.size());
        reason = text.data();
    }
    throw Error(what + ": " + reason);
}

std::string random_bytes(std::size_t size) {
    std::string out(size, '\0');
    if (size > INT_MAX ||
        RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) != 1)
        throw_openssl("random bytes");
    return out;
}

std::string sha256_raw(std::string_view data) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view data, const char* alphabet, bool pad) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(data[k]); };
    for (; i + 2 < data.size(); i += 3) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        for (int shift = 18; shift >= 0; shift -= 6)
            out += alphabet[(v >> shift) & 63];
    }
    std::size_t rest = data.size() - i;
    if (rest > 0) {
        unsigned v = byte(i) << 16;
        if (rest == 2) v |= byte(i + 1) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (rest == 2) out += alphabet[(v >> 6) & 63];
        if (pad) out.append(rest == 1 ? 2 : 1, '=');
    }
    return out;
}

int value_of(char c, const char* alphabet) {
    for (int k = 0; k < 64; ++k)
        if (alphabet[k] == c) return k;
    return -1;
}

// Decodes; `padded` demands '=' padding to a multiple of 4, else padding is refused.
bool decode(std::string_view text, const char* alphabet, bool padded, std::string& out) {
    out.clear();
    if (padded) {
        if (text.size() % 4 != 0) return false;
        std::size_t pads = 0;
        while (pads < 2 && pads < text.size() && text[text.size() - 1 - pads] == '=')
            ++pads;
        text.remove_suffix(pads);
    }
    if (text.size() % 4 == 1) return false;
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = value_of(c, alphabet);
        if (v < 0) return false;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    // Leftover bits are ignored, as Go's (non-strict) base64 decoders ignore them.
    return true;
}

} // namespace

std::string base64url_encode(std::string_view data) {
    return encode(data, kUrl, false);
}
bool base64url_decode(std::string_view text, std::string& out) {
    return decode(text, kUrl, false, out);
}
std::string base64_encode(std::string_view data) {
    return encode(data, kStd, true);
}
bool base64_decode(std::string_view text, std::string& out) {
    return decode(text, kStd, true, out);
}

} // namespace ckimg::crypto
