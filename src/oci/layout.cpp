#include <ckimg/error.hpp>
#include <ckimg/image.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>

#include "core/json_limits.hpp"
#include "oci/blob_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

constexpr const char* kRefName = "org.opencontainers.image.ref.name";
constexpr std::size_t kMaxIndexSize = 16 << 20;

std::string read_small_file(const fs::path& path, std::size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(errno_message("cannot read " + path.string()));
    // Read in pieces rather than into a buffer of the limit's size: index.json is a few KiB,
    // and a 16 MiB allocation would stay in the heap for the rest of the build.
    std::string data;
    char piece[64 * 1024];
    while (data.size() <= limit && in.read(piece, sizeof piece).gcount() > 0)
        data.append(piece, static_cast<std::size_t>(in.gcount()));
    if (data.size() > limit)
        throw InputError(path.string() + ": larger than the " + std::to_string(limit >> 20) +
                         " MiB limit");
    return data;
}

bool is_empty_dir(const fs::path& dir) {
    return fs::is_empty(dir);
}

// Holds an exclusive lock on the layout directory so concurrent builds into one layout do not
// lose each other's tags.
class DirectoryLock {
public:
    explicit DirectoryLock(const fs::path& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY)) {
        if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0)
            throw IoError(errno_message("cannot lock " + dir.string()));
    }
    ~DirectoryLock() {
        if (fd_ >= 0) ::close(fd_);
    }
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    int fd_;
};

void initialise_layout(const fs::path& dir, bool world_readable) {
    auto perms = world_readable ? fs::perms(0755) : fs::perms(0700);
    fs::create_directories(dir / "blobs" / "sha256");
    for (const auto& path : {dir, dir / "blobs", dir / "blobs" / "sha256"})
        fs::permissions(path, perms);
    write_file_atomically(dir / "index.json",
                          canonical_json({{"schemaVersion", 2},
                                          {"mediaType", media_type::oci_index},
                                          {"manifests", nlohmann::json::array()}}),
                          world_readable);
    write_file_atomically(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})", world_readable);
}

} // namespace

OciLayout::OciLayout(fs::path dir, bool world_readable, bool created)
    : dir_(std::move(dir)), world_readable_(world_readable), created_(created) {}

std::unique_ptr<OciLayout> OciLayout::open(const fs::path& dir, bool create, bool world_readable) {
    std::error_code error;
    auto status = fs::status(dir, error);
    bool created = false;
    if (!fs::exists(status)) {
        if (!create) throw InputError(dir.string() + ": no such OCI image layout");
        initialise_layout(dir, world_readable);
        created = true;
    } else if (!fs::is_directory(status)) {
        throw InputError(dir.string() + ": exists and is not a directory (expected an OCI layout)");
    } else if (!fs::exists(dir / "oci-layout")) {
        if (!create || !is_empty_dir(dir))
            throw InputError(dir.string() +
                             ": exists and is not an OCI image layout (no oci-layout file)");
        initialise_layout(dir, world_readable);
    }
    auto marker = parse_untrusted_json(read_small_file(dir / "oci-layout", 4096),
                                       (dir / "oci-layout").string());
    if (!marker.is_object() || marker.value("imageLayoutVersion", "") != "1.0.0")
        throw InputError((dir / "oci-layout").string() +
                         ": unsupported imageLayoutVersion (expected 1.0.0)");
    fs::create_directories(dir / "blobs" / "sha256");
    auto layout = std::unique_ptr<OciLayout>(new OciLayout(dir, world_readable, created));
    (void)layout->read_index(); // a broken index.json is refused before any blob is written
    return layout;
}

std::unique_ptr<BlobWriter> OciLayout::create_blob(const BlobReplay& replay) {
    (void)replay; // a file keeps every byte: nothing to read again
    return std::make_unique<BlobFileWriter>(dir_ / "blobs" / "sha256", world_readable_);
}

fs::path OciLayout::blob_file(const Digest& digest) const {
    return has_blob(digest) ? blob_path(digest) : fs::path();
}

fs::path OciLayout::blob_path(const Digest& digest) const {
    return dir_ / "blobs" / digest.algorithm() / digest.hex();
}

bool OciLayout::has_blob(const Digest& digest) const {
    return fs::exists(blob_path(digest));
}

BlobReuse OciLayout::try_reuse_blob(const Descriptor& blob,
                                    const std::vector<std::string>& related) {
    (void)related;
    return has_blob(blob.digest) ? BlobReuse::present : BlobReuse::absent;
}

Descriptor OciLayout::put_blob(const std::string& media_type, std::string_view bytes) {
    Descriptor descriptor{media_type, sha256_of(bytes), static_cast<std::int64_t>(bytes.size()),
                          {},         std::nullopt,     std::nullopt};
    if (!has_blob(descriptor.digest))
        write_file_atomically(blob_path(descriptor.digest), bytes, world_readable_);
    return descriptor;
}

std::string OciLayout::read_blob(const Digest& digest, std::size_t limit) const {
    auto path = blob_path(digest);
    if (!fs::exists(path))
        throw InputError(dir_.string() + ": blob " + digest.str() + " is missing");
    auto data = read_small_file(path, limit);
    if (sha256_of(data) != digest)
        throw InputError(path.string() + ": content does not match its digest " + digest.str());
    return data;
}

nlohmann::json OciLayout::read_index() const {
    auto path = dir_ / "index.json";
    auto index = parse_untrusted_json(read_small_file(path, kMaxIndexSize), path.string());
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
        throw InputError(path.string() + ": not an OCI image index (no \"manifests\" array)");
    return index;
}

std::vector<Descriptor> OciLayout::entries() const {
    std::vector<Descriptor> out;
    auto where = (dir_ / "index.json").string();
    auto index = read_index();
    for (const auto& entry : index["manifests"])
        out.push_back(descriptor_from_json(entry, where));
    return out;
}

Descriptor OciLayout::resolve(const std::string& tag) const {
    auto all = entries();
    if (tag.empty()) {
        if (all.size() == 1) return all.front();
        throw InputError(dir_.string() + ": holds " + std::to_string(all.size()) +
                         " images; name one with oci:DIR:TAG");
    }
    std::string known;
    for (const auto& entry : all) {
        auto name = entry.annotations.find(kRefName);
        if (name == entry.annotations.end()) continue;
        if (name->second == tag) return entry;
        known += (known.empty() ? "" : ", ") + name->second;
    }
    throw InputError(dir_.string() + ": no image tagged \"" + tag + "\"" +
                     (known.empty() ? "" : " (tags: " + known + ")"));
}

void OciLayout::tag(const Descriptor& root, const std::string& tag) {
    DirectoryLock lock(dir_);
    auto index = read_index();
    auto kept = nlohmann::json::array();
    for (const auto& entry : index["manifests"]) {
        bool same_tag = entry.is_object() && entry.contains("annotations") &&
                        entry["annotations"].is_object() &&
                        entry["annotations"].value(kRefName, "") == tag;
        if (!same_tag) kept.push_back(entry);
    }
    Descriptor tagged = root; // with the annotations the caller gave the entry
    tagged.annotations[kRefName] = tag;
    kept.push_back(to_json(tagged));
    index["manifests"] = kept;
    index["schemaVersion"] = 2;
    index["mediaType"] = media_type::oci_index;
    write_file_atomically(dir_ / "index.json", canonical_json(index), world_readable_);
}

std::string OciLayout::describe(const std::string& tag) const {
    return "oci:" + dir_.string() + (tag.empty() ? "" : ":" + tag);
}

void OciLayout::adopt_blobs(const OciLayout& other) {
    for (const auto& entry : fs::directory_iterator(other.dir_ / "blobs" / "sha256")) {
        auto name = entry.path().filename().string();
        if (name.rfind(".ckimg-tmp-", 0) == 0) continue;
        auto target = dir_ / "blobs" / "sha256" / name;
        if (fs::exists(target)) continue;
        fs::rename(entry.path(), target);
    }
}

} // namespace ckimg
