// A private directory under $TMPDIR (mode 0700: what goes there may be process memory), removed
// with everything in it when destroyed.
#pragma once

#include <ckimg/error.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ckimg {

class TempDir {
public:
    // `prefix` names the directory: "ckimg-archive" -> $TMPDIR/ckimg-archive-XXXXXX.
    explicit TempDir(const std::string& prefix) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw IoError(errno_message("cannot create a temporary directory"));
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace ckimg
