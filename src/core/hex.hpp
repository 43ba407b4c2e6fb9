// Lower-case hex of bytes: digests, certificate serial numbers, and the \xNN escapes that show
// unprintable bytes in messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ckimg {

inline std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto byte = static_cast<std::uint8_t>(bytes[i]);
        out[2 * i] = digits[byte >> 4];
        out[2 * i + 1] = digits[byte & 0xf];
    }
    return out;
}

// "\xNN" for one byte.
inline std::string hex_escape(unsigned char byte) {
    return "\\x" + to_hex(std::string_view(reinterpret_cast<const char*>(&byte), 1));
}

} // namespace ckimg
