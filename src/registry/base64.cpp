#include "registry/base64.hpp"

#include <openssl/evp.h>

namespace ckimg::registry {

std::string base64_encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    auto length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(length));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string padded(text);
    while (!padded.empty() && (padded.back() == '\n' || padded.back() == '\r'))
        padded.pop_back();
    while (padded.size() % 4 != 0)
        padded += '=';
    std::string out(3 * padded.size() / 4 + 1, '\0');
    // EVP_DecodeBlock does not strip padding: count it to trim the zero bytes it stands for.
    auto length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(padded.data()),
                                  static_cast<int>(padded.size()));
    if (length < 0) return std::nullopt;
    std::size_t pad = 0;
    for (auto it = padded.rbegin(); it != padded.rend() && *it == '=' && pad < 2; ++it)
        ++pad;
    out.resize(static_cast<std::size_t>(length) - pad);
    return out;
}

} // namespace ckimg::registry
