// Writes a layer tar into a ByteSink with libarchive, keeping only deterministic header fields
// (numeric owners, mode, whole-second mtime), so that the same entries give the same bytes.
#pragma once

#include <ckimg/checkpoint.hpp>
#include <ckimg/stream.hpp>

#include <exception>
#include <string>

struct archive;

namespace ckimg {

class TarWriter {
public:
    explicit TarWriter(ByteSink& out);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    // Adds `entry` (under `path`, or its own path when empty), streaming its data when a file.
    void add(const ArchiveEntry& entry, const std::string& path = "");
    // Adds a regular file held in memory.
    void add_file(const std::string& path, std::string_view content, std::uint32_t mode,
                  std::int64_t mtime);
    // Writes the end-of-archive blocks; the sink stays open for its owner to finish.
    void finish();

    // What libarchive's write callback needs; an exception from the sink is kept here and
    // rethrown once libarchive has returned, rather than unwinding through its C frames.
    struct Output {
        ByteSink* sink;
        std::exception_ptr error;
        bool discard = false; // set when abandoning an unfinished archive
    };

private:
    void check(int status, const std::string& what);

    ::archive* writer_;
    Output output_;
    bool finished_ = false;
};

} // namespace ckimg
