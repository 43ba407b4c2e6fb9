#include "pages.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace ckimg::gen {

namespace {

// Words seen in a typical service's heap: code, config, log lines, environment. 64 entries so a
// token is picked with 6 random bits.
constexpr std::array<std::string_view, 64> kTokens{
    "int",        "return",    "if",       "else",       "for",       "while",      "const",
    "static",     "void",      "struct",   "counter",    "value",     "request",    "response",
    "handler",    "error",     "nil",      "true",       "false",     "null",       "0",
    "1",          "42",        "1024",     "0x7f3c",     "HTTP/1.1",  "GET",        "POST",
    "/healthz",   "/metrics",  "200",      "404",        "Content",   "Type",       "json",
    "text/plain", "INFO",      "WARN",     "DEBUG",      "level",     "msg",        "time",
    "PATH",       "HOME",      "/usr/lib", "/etc/ssl",   "libc.so.6", "GLIBC_2.34", "malloc",
    "free",       "memcpy",    "strlen",   "pthread",    "mutex",     "kubernetes", "namespace",
    "pod",        "container", "image",    "checkpoint", "=",         "(",          ");",
    "{"};

// What follows a token; mostly spaces, sometimes line and field breaks.
constexpr std::array<char, 8> kSeparators{' ', ' ', ' ', ' ', '\n', '.', ',', '_'};

} // namespace

void PageGenerator::fill(unsigned char* out, std::size_t page_count) {
    for (std::size_t i = 0; i < page_count; ++i) {
        unsigned char* page = out + i * kPageSize;
        // Roughly what CRIU dumps from a small service: ~45% zero, ~30% text, ~25% binary.
        const std::uint32_t kind = rng_.below(100);
        if (kind < 45) {
            std::memset(page, 0, kPageSize);
        } else if (kind < 75) {
            text_page(page);
        } else {
            random_page(page);
        }
    }
}

namespace {

// Tokens stored in fixed 16-byte slots so that each one is copied with a single fixed-size
// memcpy (one vector store); the token's real length then advances the cursor. This keeps text
// generation well above 1 GB/s.
struct TokenSlot {
    std::array<unsigned char, 16> bytes{};
    std::size_t length = 0;
};

constexpr std::array<TokenSlot, kTokens.size()> make_slots() {
    std::array<TokenSlot, kTokens.size()> slots{};
    for (std::size_t i = 0; i < kTokens.size(); ++i) {
        for (std::size_t j = 0; j < kTokens[i].size() && j < 15; ++j) {
            slots[i].bytes[j] = static_cast<unsigned char>(kTokens[i][j]);
        }
        slots[i].length = std::min<std::size_t>(kTokens[i].size(), 15);
    }
    return slots;
}

constexpr auto kSlots = make_slots();

} // namespace

void PageGenerator::text_page(unsigned char* page) {
    // Room for one slot past the page end, so the loop needs no bounds checks.
    std::array<unsigned char, kPageSize + 32> text;
    std::size_t pos = 0;
    std::uint64_t bits = 0;
    int bits_left = 0;
    while (pos < kPageSize) {
        if (bits_left < 9) { // one token (6 bits) and one separator (3 bits)
            bits = rng_.next();
            bits_left = 64;
        }
        const TokenSlot& slot = kSlots[bits & 0x3f];
        std::memcpy(text.data() + pos, slot.bytes.data(), slot.bytes.size());
        pos += slot.length;
        text[pos++] = static_cast<unsigned char>(kSeparators[(bits >> 6) & 0x7]);
        bits >>= 9;
        bits_left -= 9;
    }
    std::memcpy(page, text.data(), kPageSize);
}

void PageGenerator::random_page(unsigned char* page) {
    // Stored little-endian byte by byte (compilers fuse this into one store) so that big-endian
    // hosts produce the same archive.
    for (std::size_t pos = 0; pos < kPageSize; pos += 8) {
        std::uint64_t word = rng_.next();
        for (std::size_t b = 0; b < 8; ++b, word >>= 8) {
            page[pos + b] = static_cast<unsigned char>(word);
        }
    }
}

} // namespace ckimg::gen
