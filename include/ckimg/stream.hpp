// Byte streams: every stage of a pipeline (hash, compress, write) is a ByteSink feeding the next,
// so that one pass over the input does all the work with bounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ckimg {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(const std::uint8_t* data, std::size_t size) = 0;
    void write(std::string_view data) {
        write(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    }
    // Flushes what is buffered and ends the stream; nothing may be written afterwards.
    virtual void finish() = 0;
};

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads up to `capacity` bytes; returns 0 only at the end of the stream.
    virtual std::size_t read(std::uint8_t* buffer, std::size_t capacity) = 0;
};

} // namespace ckimg
