#include "crypto/der.hpp"

#include <ckimg/error.hpp>

namespace ckimg::crypto::der {

std::uint8_t Reader::peek_tag() const {
    if (rest_.empty()) fail("an element is missing");
    return static_cast<std::uint8_t>(rest_[0]);
}

Element Reader::next() {
    if (rest_.size() < 2) fail("an element is missing or truncated");
    auto tag = static_cast<std::uint8_t>(rest_[0]);
    if ((tag & 0x1f) == 0x1f) fail("a high tag number");
    auto first = static_cast<std::uint8_t>(rest_[1]);
    std::size_t header = 2;
    std::size_t length = first;
    if (first == 0x80) fail("an indefinite length");
    if (first > 0x80) {
        std::size_t octets = first & 0x7fu;
        if (octets > 4) fail("a length of " + std::to_string(octets) + " octets");
        if (rest_.size() < 2 + octets) fail("a truncated length");
        length = 0;
        for (std::size_t i = 0; i < octets; ++i)
            length = (length << 8) | static_cast<std::uint8_t>(rest_[2 + i]);
        header += octets;
    }
    if (length > rest_.size() - header) fail("an element longer than what holds it");
    Element e{tag, rest_.substr(header, length), rest_.substr(0, header + length)};
    rest_.remove_prefix(header + length);
    return e;
}

Element Reader::expect(std::uint8_t tag, const char* field) {
    if (peek_tag() != tag) fail(std::string("unexpected element where ") + field + " belongs");
    return next();
}

void Reader::fail(const std::string& why) const {
    throw InputError(where_ + ": malformed " + what_ + " (" + why + ")");
}

std::string element(std::uint8_t tag, std::string_view content) {
    std::string out(1, static_cast<char>(tag));
    std::size_t size = content.size();
    if (size < 0x80) {
        out += static_cast<char>(size);
    } else {
        std::string octets;
        for (std::size_t rest = size; rest > 0; rest >>= 8)
            octets.insert(octets.begin(), static_cast<char>(rest & 0xff));
        out += static_cast<char>(0x80 | octets.size());
        out += octets;
    }
    out += content;
    return out;
}

std::string small_integer(unsigned value) {
    std::string octets;
    do {
        octets.insert(octets.begin(), static_cast<char>(value & 0xff));
        value >>= 8;
    } while (value > 0);
    if (static_cast<std::uint8_t>(octets[0]) & 0x80) octets.insert(octets.begin(), '\0');
    return element(kInteger, octets);
}

bool integer_value(const Element& e, unsigned& value) {
    if (e.tag != kInteger || e.content.empty() || e.content.size() > 5) return false;
    if (static_cast<std::uint8_t>(e.content[0]) & 0x80) return false;
    std::uint64_t v = 0;
    for (char c : e.content)
        v = (v << 8) | static_cast<std::uint8_t>(c);
    if (v > 0x7fffffffu) return false;
    value = static_cast<unsigned>(v);
    return true;
}

} // namespace ckimg::crypto::der
