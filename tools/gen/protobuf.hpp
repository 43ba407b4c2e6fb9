// Just enough protobuf (proto2 wire format) to write CRIU image records that real decoders
// (crit, go-criu) can parse. Repeated scalars are written unpacked, as proto2 does by default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ckimg::gen {

class PbMessage {
public:
    // uint32, uint64, bool and enum fields.
    PbMessage& uint(std::uint32_t field, std::uint64_t value) {
        key(field, 0);
        varint(value);
        return *this;
    }

    // int32/int64: negative numbers are sign-extended to ten bytes, as protobuf specifies.
    PbMessage& int64(std::uint32_t field, std::int64_t value) {
        return uint(field, static_cast<std::uint64_t>(value));
    }

    // sint32/sint64: zigzag encoding.
    PbMessage& sint(std::uint32_t field, std::int64_t value) {
        const auto zigzag =
            (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
        return uint(field, zigzag);
    }

    PbMessage& string(std::uint32_t field, std::string_view value) {
        key(field, 2);
        varint(value.size());
        bytes_.append(value);
        return *this;
    }

    PbMessage& message(std::uint32_t field, const PbMessage& value) {
        return string(field, value.bytes());
    }

    const std::string& bytes() const { return bytes_; }

private:
    void key(std::uint32_t field, std::uint32_t wire_type) { varint((field << 3) | wire_type); }

    void varint(std::uint64_t value) {
        while (value >= 0x80) {
            bytes_ += static_cast<char>((value & 0x7f) | 0x80);
            value >>= 7;
        }
        bytes_ += static_cast<char>(value);
    }

    std::string bytes_;
};

} // namespace ckimg::gen
