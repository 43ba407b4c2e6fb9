#include "archive_writer.hpp"

#include "pages.hpp"
#include "prng.hpp"
#include "sha256.hpp"
#include "sinks.hpp"
#include "tar_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unistd.h>

namespace ckimg::gen {

namespace {

// Pages are generated and written 1 MiB at a time: the memory footprint stays flat whatever
// --pages-size is.
constexpr std::size_t kChunkSize = 1024 * 1024;

// file <- [compressor] <- truncation counter: the tar stream enters at head().
class Pipeline {
public:
    explicit Pipeline(const WriteSettings& settings) : file_(settings.path, settings.hash) {
        ByteSink* next = &file_;
        if (settings.compression != Compression::None) {
            compressor_ = std::make_unique<CompressingSink>(file_, settings.compression);
            next = compressor_.get();
        }
        head_ = std::make_unique<TruncatingSink>(*next);
    }

    TruncatingSink& head() { return *head_; }
    const FileSink& file() const { return file_; }

private:
    FileSink file_;
    std::unique_ptr<CompressingSink> compressor_;
    std::unique_ptr<TruncatingSink> head_;
};

std::string archive_name(const PlanEntry& e, bool dot_prefix) {
    if (e.path == ".") {
        return "./";
    }
    std::string name = dot_prefix && e.path.front() != '/' ? "./" + e.path : e.path;
    if (e.type == EntryType::Directory) {
        name += '/';
    }
    return name;
}

TarHeader header_for(const PlanEntry& e, const std::string& name, std::int64_t mtime) {
    return TarHeader{.name = name,
                     .type = e.type,
                     .mode = e.mode,
                     .size = e.type == EntryType::File ? e.size() : 0,
                     .link_target = e.link_target,
                     .dev_major = e.dev_major,
                     .dev_minor = e.dev_minor,
                     .mtime = mtime};
}

// Writes one regular file's content, hashing it when asked.
WrittenFile write_content(TarWriter& tar, const PlanEntry& e, bool hash,
                          std::vector<unsigned char>& buffer) {
    std::optional<Sha256> sha;
    if (hash) {
        sha.emplace();
    }
    const auto emit = [&](const unsigned char* bytes, std::size_t size) {
        if (sha) {
            sha->update(bytes, size);
        }
        tar.data(bytes, size);
    };
    if (e.pages_seed) {
        PageGenerator pages(*e.pages_seed);
        buffer.resize(kChunkSize);
        for (std::uint64_t left = e.pages_size; left > 0;) {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunkSize));
            pages.fill(buffer.data(), n / kPageSize);
            emit(buffer.data(), n);
            left -= n;
        }
    } else {
        emit(reinterpret_cast<const unsigned char*>(e.data.data()), e.data.size());
    }
    return WrittenFile{e.path, e.size(), sha ? sha->hex_digest() : "", e.mode};
}

} // namespace

WriteResult write_archive(const ArchivePlan& plan, const WriteSettings& settings) {
    Pipeline pipeline(settings);
    TarWriter tar(pipeline.head());
    WriteResult result;
    std::vector<unsigned char> buffer;
    for (const PlanEntry& e : plan.entries) {
        const std::string name = archive_name(e, settings.dot_prefix);
        tar.header(header_for(e, name, settings.mtime));
        result.entries.push_back({name, e.type, e.mode, e.link_target});
        if (plan.truncate_in == e.path) { // the header is out; cut halfway through the data
            pipeline.head().truncate_at(pipeline.head().offset() + e.size() / 2);
        }
        if (e.type == EntryType::File) {
            result.files.push_back(write_content(tar, e, settings.hash, buffer));
        }
    }
    tar.finish();
    result.archive_size = pipeline.file().size();
    result.archive_sha256 = pipeline.file().sha256();
    return result;
}

WriteResult write_random_bytes(std::uint64_t seed, std::uint64_t size,
                               const WriteSettings& settings) {
    Pipeline pipeline(settings);
    Xoshiro256 rng(seed);
    std::vector<unsigned char> buffer;
    for (std::uint64_t i = 0; i < size; ++i) {
        buffer.push_back(static_cast<unsigned char>(rng.next() >> 56));
    }
    pipeline.head().write(buffer.data(), buffer.size());
    pipeline.head().finish();
    WriteResult result;
    result.archive_size = pipeline.file().size();
    result.archive_sha256 = pipeline.file().sha256();
    return result;
}

void cut_in_half(const std::string& path, WriteResult& result, bool hash) {
    const std::uint64_t size = result.archive_size / 2;
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
        throw std::runtime_error("cannot truncate " + path + ": " + std::strerror(errno));
    }
    result.archive_size = size;
    result.archive_sha256.clear();
    if (!hash) {
        return;
    }
    Sha256 sha;
    std::ifstream in(path, std::ios::binary);
    std::vector<char> buffer(kChunkSize);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
        sha.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    result.archive_sha256 = sha.hex_digest();
}

} // namespace ckimg::gen
