// Streams an ArchivePlan to disk as a (possibly compressed) tar, computing the digests for the
// manifest on the way.
#pragma once

#include "archive_plan.hpp"
#include "options.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ckimg::gen {

struct WriteSettings {
    std::string path;
    Compression compression = Compression::None;
    bool dot_prefix = false;
    bool hash = false; // compute SHA-256 of every file and of the archive
    std::int64_t mtime = 0;
};

struct WrittenEntry {
    std::string name; // as stored in the archive
    EntryType type = EntryType::File;
    unsigned mode = 0;
    std::string link_target;
};

struct WrittenFile {
    std::string path; // normalised: no "./"
    std::uint64_t size = 0;
    std::string sha256;
    unsigned mode = 0;
};

struct WriteResult {
    std::vector<WrittenEntry> entries;
    std::vector<WrittenFile> files;
    std::uint64_t archive_size = 0;
    std::string archive_sha256;
};

WriteResult write_archive(const ArchivePlan& plan, const WriteSettings& settings);

// --bad not-tar: `size` pseudo-random bytes, through the same compression as an archive.
WriteResult write_random_bytes(std::uint64_t seed, std::uint64_t size,
                               const WriteSettings& settings);

// --bad truncated-stream: cuts the finished file to half its size (through the compressed
// stream, as an interrupted copy would) and updates the result's size and digest.
void cut_in_half(const std::string& path, WriteResult& result, bool hash);

} // namespace ckimg::gen
