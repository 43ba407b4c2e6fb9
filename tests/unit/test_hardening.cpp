// The hardening findings of docs/reliability.md, each pinned by a unit test: what the hostile
// corpus (tests/e2e/test_hostile_inputs.sh) and the fuzz targets (fuzz/) found.
#include "archive/checkpoint_metadata.hpp"
#include "archive/entry_path.hpp"
#include "core/json_limits.hpp"
#include "core/redact.hpp"
#include "registry/registry_error.hpp"

#include <ckimg/checkpoint.hpp>
#include <ckimg/descriptor.hpp>
#include <ckimg/error.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ckimg;
using nlohmann::json;

namespace {

struct Entry {
    std::string name;
    std::string data;
    bool directory = false;
};

// A checkpoint archive written by libarchive (gzip or plain), with `extra` entries appended.
std::string make_archive(bool gzip, const std::vector<Entry>& extra = {}) {
    std::vector<Entry> entries = {{"config.dump", R"({"name":"unit"})"},
                                  {"spec.dump", R"({"annotations":{}})"},
                                  {"checkpoint", "", true},
                                  {"checkpoint/pages-1.img", std::string(3000, 'p')}};
    entries.insert(entries.end(), extra.begin(), extra.end());
    archive* writer = archive_write_new();
    archive_write_set_format_pax_restricted(writer);
    if (gzip) archive_write_add_filter_gzip(writer);
    std::vector<char> buffer(1 << 20);
    std::size_t used = 0;
    archive_write_open_memory(writer, buffer.data(), buffer.size(), &used);
    for (const auto& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.name.c_str());
        archive_entry_set_filetype(entry, e.directory ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(entry, 0600);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
        archive_write_header(writer, entry);
        if (!e.data.empty()) archive_write_data(writer, e.data.data(), e.data.size());
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
    return std::string(buffer.data(), used);
}

class TempFile {
public:
    explicit TempFile(const std::string& bytes) {
        path_ = (std::filesystem::temp_directory_path() /
                 ("ckimg-unit-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
                    .string();
        std::ofstream(path_, std::ios::binary) << bytes;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    static inline int counter_ = 0;
    std::string path_;
};

CheckpointInfo scan(const std::string& bytes, std::uint64_t max_size = 0) {
    TempFile file(bytes);
    return validate_checkpoint(file.path(), max_size);
}

} // namespace

TEST_CASE("entry names must be well-formed UTF-8, overlong forms included", "[hardening]") {
    CHECK(normalize_entry_path("a", "checkpoint/caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80.img"));
    for (const char* bad : {"\xc0\xae\xc0\xae/x", "\xe0\x80\xae", "\xed\xa0\x80",
                            "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc2", "\x80"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH(normalize_entry_path("a", bad), Catch::Contains("not valid UTF-8"));
    }
}

TEST_CASE("a gzip archive whose CRC-32 or length is wrong is refused", "[hardening]") {
    auto good = make_archive(true);
    CHECK(scan(good).container_name == "unit");
    auto bad_crc = good;
    bad_crc[bad_crc.size() - 8] ^= 0x01;
    CHECK_THROWS_WITH(scan(bad_crc), Catch::Contains("truncated or corrupt archive (gzip data is "
                                                     "corrupt: incorrect data check)"));
    auto bad_length = good;
    bad_length[bad_length.size() - 1] ^= 0x01;
    CHECK_THROWS_WITH(scan(bad_length), Catch::Contains("incorrect length check"));
    CHECK_THROWS_WITH(scan(good.substr(0, good.size() - 4)),
                      Catch::Contains("gzip stream is truncated"));
}

TEST_CASE("an archive cut at an entry boundary is not taken for a whole one", "[hardening]") {
    auto plain = make_archive(false);
    CHECK(scan(plain).entry_count == 4);
    // The end-of-archive marker is the two zero blocks after the last entry's padded data.
    auto last = plain.find(std::string(3000, 'p'));
    auto end = last + 3072;
    CHECK_THROWS_WITH(scan(plain.substr(0, end)),
                      Catch::Contains("ends without an end-of-archive marker"));
    CHECK(scan(plain.substr(0, end + 512)).entry_count == 4); // a lone zero block is a marker
    CHECK_THROWS_WITH(scan(plain + std::string(2 << 20, 'x')),
                      Catch::Contains("more than 1 MiB of data after the end-of-archive marker"));
}

TEST_CASE("the max-size limit refuses the entry that goes over, before its data", "[hardening]") {
    auto plain = make_archive(false);
    CHECK(scan(plain, 1 << 20).total_size > 0);
    CHECK_THROWS_WITH(scan(plain, 3000),
                      Catch::EndsWith("entry \"checkpoint/pages-1.img\" takes the files past the "
                                      "3000-byte limit (--max-size)"));
}

TEST_CASE("spec.dump must be an object; nested annotations are bounded", "[hardening]") {
    CheckpointInfo info;
    info.config_dump = {{"name", "x"}};
    info.spec_dump = "a string";
    CHECK_THROWS_WITH(read_checkpoint_metadata("a.tar", info),
                      "a.tar: spec.dump is not a JSON object");
    info.spec_dump = {{"annotations",
                       {{"io.container.manager", "cri-o"},
                        {"io.kubernetes.cri-o.Metadata", std::string(1 << 20, '[')},
                        {"io.kubernetes.container.name", "fallback"}}}};
    auto start = std::chrono::steady_clock::now();
    read_checkpoint_metadata("a.tar", info);
    CHECK(info.container_name == "fallback");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("JSON of the wrong type is an InputError, never a JSON library error", "[hardening]") {
    json descriptor = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                       {"digest", "sha256:" + std::string(64, 'a')},
                       {"size", 1},
                       {"platform", {{"os", 1}, {"architecture", "amd64"}}}};
    CHECK_THROWS_WITH(descriptor_from_json(descriptor, "index.json"),
                      "index.json: platform \"os\" is not a string");
    CHECK(registry::describe_error_body(R"({"errors":[{"code":1,"message":{"a":1}}]})").empty());
    CHECK(registry::describe_error_body(
              R"({"errors":[{"code":"DENIED","message":2},{"message":"no"}]})") == "DENIED; no");
    CHECK(registry::describe_error_body(std::string(1 << 20, '[')).empty());
    CHECK_THROWS_WITH(parse_untrusted_json(std::string(100000, '['), "x"),
                      "x: JSON nested deeper than 64 levels");
    // Found by fuzz_image_json: grammatical numbers that no double holds.
    CHECK_THROWS_WITH(parse_untrusted_json(R"({"size": 41e999384})", "manifest"),
                      "manifest: a number in the JSON is out of range");
    CHECK_THROWS_AS(parse_untrusted_json("-1e400", "x"), InputError);
}

TEST_CASE("a secret quoted back is replaced everywhere, even when the marker contains it",
          "[hardening]") {
    using ckimg::replace_secret;
    CHECK(replace_secret("token s3cr3t, again s3cr3t.", "s3cr3t", "<redacted>") ==
          "token <redacted>, again <redacted>.");
    // The kubelet's marker "<token>" holds a one-letter token "t": the search must not loop.
    CHECK(replace_secret("at t", "t", "<token>") == "a<token> <token>");
    CHECK(replace_secret("unchanged", "", "<token>") == "unchanged");
}
