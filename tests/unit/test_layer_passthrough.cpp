// Export of the single-layer formats copies the layer's tar byte for byte, but never lets out the
// bytes of an entry before its header has been admitted: a refused entry does not reach the
// output, even where the output is a pipe that cannot be taken back.
#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include "formats/layer_reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace ckimg;
using nlohmann::json;

namespace {

using ckimg::test::StringSink;
using ckimg::test::TempDir;

// A ustar archive of regular files (name, contents), in memory.
std::string tar_of(const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<char> buffer(16 << 20);
    std::size_t used = 0;
    archive* writer = archive_write_new();
    archive_write_set_format_ustar(writer);
    archive_write_set_bytes_in_last_block(writer, 1);
    REQUIRE(archive_write_open_memory(writer, buffer.data(), buffer.size(), &used) == ARCHIVE_OK);
    for (const auto& [name, contents] : files) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0600);
        archive_entry_set_size(entry, static_cast<la_int64_t>(contents.size()));
        REQUIRE(archive_write_header(writer, entry) == ARCHIVE_OK);
        archive_entry_free(entry);
        archive_write_data(writer, contents.data(), contents.size());
    }
    archive_write_close(writer);
    archive_write_free(writer);
    return std::string(buffer.data(), used);
}

// Exports the one-layer image whose layer is `layer` (an uncompressed tar) into `out`.
void export_layer(const std::string& layer, StringSink& out) {
    TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto layer_blob = layout->put_blob(media_type::oci_layer_tar, layer);
    auto config = layout->put_blob(
        media_type::oci_config,
        json{{"architecture", "amd64"},
             {"os", "linux"},
             {"rootfs", {{"type", "layers"}, {"diff_ids", {layer_blob.digest.str()}}}}}
            .dump());
    auto describe = [](const Descriptor& d) {
        return json{{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
    };
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", media_type::oci_manifest},
                     {"config", describe(config)},
                     {"layers", json::array({describe(layer_blob)})}};
    layout->tag(layout->put_blob(media_type::oci_manifest, manifest.dump()), "v1");
    auto source =
        open_image_source("oci:" + (tmp.path / "img").string() + ":v1", RegistryOptions{});
    auto image = resolve_image(*source);
    copy_single_layer(*source, image, out);
}

} // namespace

TEST_CASE("a layer comes back byte for byte", "[export]") {
    auto layer = tar_of({{"config.dump", "{}"}, {"spec.dump", std::string(5000, 's')}});
    StringSink out;
    export_layer(layer, out);
    CHECK(out.bytes == layer);
}

TEST_CASE("the bytes of a refused entry never reach the output", "[export]") {
    // The first file is large, so that its data and the next header arrive in one read.
    auto layer = tar_of({{"config.dump", std::string(3 << 20, 'A')}, {"../evil", "EVILDATA"}});
    StringSink out;
    CHECK_THROWS_AS(export_layer(layer, out), InputError);
    CHECK(out.bytes.find("evil") == std::string::npos);
    CHECK(out.bytes.find("EVILDATA") == std::string::npos);
    CHECK(out.bytes.size() <= 512 + (3u << 20));
}
