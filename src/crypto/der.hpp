// Just enough ASN.1 DER for ocicrypt's PKCS7 key wrapper: writing its EnvelopedData the way Go's
// encoding/asn1 marshals it, and reading it back with every length checked. OpenSSL's PKCS7 and
// CMS parsers cannot serve here: Go writes the AES-GCM parameters as a primitive-tagged SEQUENCE
// (tag 0x10), which OpenSSL refuses ("type not constructed").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ckimg::crypto::der {

// Tags by their identifier octet (low-tag-number form only, all PKCS7 needs).
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
inline constexpr std::uint8_t kContext0 = 0x80;            // [0] IMPLICIT, primitive
inline constexpr std::uint8_t kContext0Constructed = 0xa0; // [0], constructed

// One element: its tag, its content, and the element whole (tag and length included).
struct Element {
    std::uint8_t tag = 0;
    std::string_view content;
    std::string_view whole;
};

// Reads the elements of a content one after another. Anything malformed (a truncated element,
// a length past the end, an indefinite length, a high tag number) is an InputError
// "<where>: malformed <what> (...)".
class Reader {
public:
    Reader(std::string_view data, std::string where, std::string what)
        : rest_(data), where_(std::move(where)), what_(std::move(what)) {}
    bool empty() const { return rest_.empty(); }
    std::uint8_t peek_tag() const;
    Element next();
    // next(), which must have `tag`; `field` names it in the error.
    Element expect(std::uint8_t tag, const char* field);
    [[noreturn]] void fail(const std::string& why) const;
    // A reader over `e`'s content that reports errors as this one does.
    Reader open(const Element& e) const { return Reader(e.content, where_, what_); }

private:
    std::string_view rest_;
    std::string where_;
    std::string what_;
};

std::string element(std::uint8_t tag, std::string_view content);
inline std::string sequence(std::string_view content) {
    return element(kSequence, content);
}
// A non-negative INTEGER in minimal form.
std::string small_integer(unsigned value);

// A small non-negative INTEGER's value; false when it is negative or over 2^31.
bool integer_value(const Element& e, unsigned& value);

} // namespace ckimg::crypto::der
