// A tar stream in the shape Go's archive/tar (which every engine uses) produces: USTAR headers
// (PAX only when a field does not fit), uid/gid 0, no padding after the two end blocks.
#pragma once

#include "sinks.hpp"

#include <cstdint>
#include <string>

namespace ckimg::gen {

enum class EntryType { File, Directory, Symlink, Hardlink, CharDevice };

struct TarHeader {
    std::string name; // as stored; directories end with '/'
    EntryType type = EntryType::File;
    unsigned mode = 0600;
    std::uint64_t size = 0; // regular files only
    std::string link_target;
    unsigned dev_major = 0;
    unsigned dev_minor = 0;
    std::int64_t mtime = 0;
};

class TarWriter {
public:
    explicit TarWriter(ByteSink& out);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    void header(const TarHeader& header);
    void data(const unsigned char* bytes, std::size_t size);
    void data(const std::string& bytes) {
        data(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    }
    // Writes the end-of-archive blocks and finishes the sink.
    void finish();

private:
    ByteSink& out_;
    ArchiveOutput output_;
    ArchivePtr archive_;
    bool finished_ = false;
};

} // namespace ckimg::gen
