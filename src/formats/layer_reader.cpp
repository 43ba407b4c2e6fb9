#include "formats/layer_reader.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "archive/entry_type.hpp"
#include "core/json_limits.hpp"
#include "formats/entry_guard.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <exception>
#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kReadBlock = 1 << 20;

// Hashes what is read through it: the diff ID of a layer is the digest of its uncompressed tar.
class HashingSource : public ByteSource {
public:
    explicit HashingSource(ByteSource& input) : input_(input) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        std::size_t got = input_.read(buffer, capacity);
        hash_.update(buffer, got);
        return got;
    }
    Digest digest() { return hash_.finish(); }

private:
    ByteSource& input_;
    Sha256 hash_;
};

// libarchive pulls the tar through this callback; an exception from the source is kept and
// rethrown once libarchive has returned, rather than unwinding through its C frames.
struct Input {
    ByteSource* source = nullptr;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kReadBlock);
    std::exception_ptr error;
};

la_ssize_t read_callback(archive*, void* client, const void** block) {
    auto* input = static_cast<Input*>(client);
    try {
        *block = input->buffer.data();
        return static_cast<la_ssize_t>(
            input->source->read(input->buffer.data(), input->buffer.size()));
    } catch (...) {
        input->error = std::current_exception();
        return -1;
    }
}

// Copies what is read through it into `out`, but only up to the offset released so far: the
// bytes of an entry whose header has not been admitted yet are held back, so that a refused
// entry never reaches the output.
class HeldBackTee : public ByteSource {
public:
    HeldBackTee(ByteSource& input, ByteSink& out, const std::string& where)
        : input_(input), out_(out), where_(where) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        std::size_t got = input_.read(buffer, capacity);
        held_.insert(held_.end(), buffer, buffer + got);
        read_ += got;
        flush();
        // Data beyond what an admitted header declared (a hard link carrying data, say) is
        // held until the next header: bounded, or a hostile layer would grow it without end.
        if (held_.size() > kMaxHeld)
            throw InputError(where_ + ": over 64 MiB of tar data that no admitted entry declares");
        return got;
    }
    void release_until(std::uint64_t offset) {
        released_ = std::max(released_, offset);
        flush();
    }
    void release_all() { release_until(UINT64_MAX); }

private:
    static constexpr std::size_t kMaxHeld = 64 << 20;
    void flush() {
        auto until = std::min(released_, read_);
        if (until <= written_) return;
        auto count = static_cast<std::size_t>(until - written_);
        out_.write(held_.data(), count);
        held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(count));
        written_ = until;
    }
    ByteSource& input_;
    ByteSink& out_;
    const std::string& where_;
    std::vector<std::uint8_t> held_; // the bytes [written_, read_)
    std::uint64_t read_ = 0;
    std::uint64_t written_ = 0;
    std::uint64_t released_ = 0;
};

} // namespace

Compression tar_layer_compression(const std::string& media_type, const std::string& where) {
    if (auto known = compression_of_media_type(media_type)) return *known;
    throw InputError(where + ": media type \"" + media_type + "\" is not a tar layer");
}

std::string describe_layer(const ImageSource& source, const Descriptor& layer) {
    return "layer " + layer.digest.algorithm() + ":" + layer.digest.hex().substr(0, 12) + " of " +
           source.describe();
}

// The data of the current entry, read straight out of libarchive.
class EntryDataSource : public ByteSource {
public:
    EntryDataSource(archive* reader, Input& input, const std::string& where)
        : reader_(reader), input_(input), where_(where) {}
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override {
        la_ssize_t got = archive_read_data(reader_, buffer, capacity);
        if (input_.error) std::rethrow_exception(input_.error);
        if (got < 0) {
            const char* why = archive_error_string(reader_);
            throw InputError(where_ + ": corrupt layer tar (" +
                             std::string(why ? why : "read error") + ")");
        }
        return static_cast<std::size_t>(got);
    }

private:
    archive* reader_;
    Input& input_;
    const std::string& where_;
};

struct LayerReader::Impl {
    std::optional<Digest> diff_id;
    std::unique_ptr<ByteSource> blob;
    std::unique_ptr<ByteSource> uncompressed;
    std::unique_ptr<HashingSource> hashed;
    std::unique_ptr<HeldBackTee> tee; // with a pass-through sink
    Input input;
    archive* reader = nullptr;
    EntryGuard guard;
    ArchiveEntry current;
    std::unique_ptr<EntryDataSource> data;
    bool at_end = false;

    explicit Impl(std::string where) : guard(std::move(where)) {}
    ~Impl() {
        if (reader != nullptr) archive_read_free(reader);
    }
    [[noreturn]] void fail(const char* what);
    bool take_header(archive_entry* entry);
    void release_admitted(archive_entry* entry);
    ByteSource& tail() { return tee ? static_cast<ByteSource&>(*tee) : *hashed; }
};

// The entry just admitted owns the bytes up to the end of its data: libarchive has consumed
// its headers (the position is where the data starts), and the data fills whole 512-byte
// blocks. Only regular files count their data; anything else is released up to its headers.
void LayerReader::Impl::release_admitted(archive_entry* entry) {
    if (!tee) return;
    auto data_start = static_cast<std::uint64_t>(archive_filter_bytes(reader, 0));
    std::uint64_t size = 0;
    if (current.type == EntryType::file && archive_entry_size(entry) > 0)
        size = static_cast<std::uint64_t>(archive_entry_size(entry));
    tee->release_until(data_start + (size + 511) / 512 * 512);
}

void LayerReader::Impl::fail(const char* what) {
    if (input.error) std::rethrow_exception(input.error);
    const char* why = archive_error_string(reader);
    throw InputError(guard.where() + ": " + what + " (" + (why ? why : "unknown") + ")");
}

// Fills `current` from a tar header; false for the root entry, which is skipped.
bool LayerReader::Impl::take_header(archive_entry* entry) {
    const char* name = archive_entry_pathname(entry);
    auto type = classify_entry(guard.where(), name ? name : "", entry);
    std::string link;
    if (type == EntryType::symlink && archive_entry_symlink(entry) != nullptr)
        link = archive_entry_symlink(entry);
    if (type == EntryType::hardlink) link = archive_entry_hardlink(entry);
    if (tee && archive_entry_sparse_count(entry) > 0)
        throw InputError(guard.where() + ": entry \"" + std::string(name ? name : "") +
                         "\": sparse file refused (checkpoints hold none)");
    auto path = guard.admit(name ? name : "", type, link);
    current = ArchiveEntry{};
    current.type = type;
    if (!path) return false;
    current.path = *path;
    current.type = type;
    current.mode = static_cast<std::uint32_t>(archive_entry_perm(entry)) & 07777;
    current.uid = archive_entry_uid(entry);
    current.gid = archive_entry_gid(entry);
    current.mtime = archive_entry_mtime(entry);
    current.link_target = link;
    if (type == EntryType::file) {
        auto size = archive_entry_size(entry);
        current.size = size > 0 ? static_cast<std::uint64_t>(size) : 0;
        current.data = data.get();
    }
    return true;
}

LayerReader::LayerReader(ImageSource& source, const Descriptor& layer,
                         std::optional<Digest> diff_id, std::string where, ByteSink* pass_through)
    : impl_(std::make_unique<Impl>(std::move(where))) {
    auto compression = tar_layer_compression(layer.media_type, impl_->guard.where());
    impl_->diff_id = std::move(diff_id);
    impl_->blob = source.open_blob(layer);
    impl_->uncompressed = make_decompressor(compression, *impl_->blob);
    impl_->hashed = std::make_unique<HashingSource>(*impl_->uncompressed);
    impl_->input.source = impl_->hashed.get();
    // Before archive_read_open, which already reads the first block.
    if (pass_through != nullptr) {
        impl_->tee =
            std::make_unique<HeldBackTee>(*impl_->hashed, *pass_through, impl_->guard.where());
        impl_->input.source = impl_->tee.get();
    }
    impl_->reader = archive_read_new();
    if (impl_->reader == nullptr) throw Error("cannot allocate a tar reader");
    archive_read_support_format_tar(impl_->reader);
    impl_->data =
        std::make_unique<EntryDataSource>(impl_->reader, impl_->input, impl_->guard.where());
    if (archive_read_open(impl_->reader, &impl_->input, nullptr, read_callback, nullptr) !=
        ARCHIVE_OK)
        impl_->fail("not a tar layer");
}

LayerReader::~LayerReader() = default;

const std::string& LayerReader::where() const {
    return impl_->guard.where();
}

ArchiveEntry* LayerReader::next() {
    while (!impl_->at_end) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(impl_->reader, &entry);
        if (status == ARCHIVE_EOF) {
            impl_->at_end = true;
            break;
        }
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) impl_->fail("corrupt layer tar");
        bool admitted = impl_->take_header(entry); // throws for a refused entry
        impl_->release_admitted(entry);
        if (admitted) return &impl_->current;
    }
    return nullptr;
}

void LayerReader::finish() {
    std::vector<std::uint8_t> scratch(kReadBlock);
    while (impl_->tail().read(scratch.data(), scratch.size()) != 0) {
    }
    auto actual = impl_->hashed->digest();
    if (impl_->diff_id && actual != *impl_->diff_id)
        throw InputError(where() + ": uncompressed content has digest " + actual.str() +
                         ", not the diff ID " + impl_->diff_id->str() + " the config states");
    // Past the end-of-archive marker: the trailing blocks are the tar's, copied as they are.
    if (impl_->tee) impl_->tee->release_all();
}

namespace {

// The config's rootfs.diff_ids[0], when it states one.
std::optional<Digest> first_diff_id(ImageSource& source, const ResolvedImage& image) {
    auto config =
        parse_untrusted_json(source.read_blob(image.config), source.describe() + ": config");
    if (!config.is_object() || !config.contains("rootfs")) return std::nullopt;
    const auto& rootfs = config["rootfs"];
    if (!rootfs.is_object() || !rootfs.contains("diff_ids")) return std::nullopt;
    const auto& ids = rootfs["diff_ids"];
    if (!ids.is_array() || ids.size() != 1 || !ids[0].is_string()) return std::nullopt;
    return Digest::parse(ids[0].get<std::string>());
}

} // namespace

void copy_single_layer(ImageSource& source, const ResolvedImage& image, ByteSink& archive) {
    if (image.layers.size() != 1)
        throw InputError(source.describe() +
                         ": a checkpoint image of this format has one layer, "
                         "this one has " +
                         std::to_string(image.layers.size()));
    LayerReader layer(source, image.layers.front(), first_diff_id(source, image),
                      describe_layer(source, image.layers.front()), &archive);
    while (layer.next() != nullptr) {
    }
    layer.finish(); // the sink stays open for its owner to finish
}

} // namespace ckimg
