#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/transport.hpp>

#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ckimg;

namespace {

std::size_t count_files(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        n += entry.is_regular_file();
    return n;
}

} // namespace

TEST_CASE("a new layout has the marker, an empty index and private permissions", "[layout]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    CHECK(layout->created());
    CHECK(fs::exists(tmp.path / "img" / "oci-layout"));
    CHECK(layout->entries().empty());
    CHECK((fs::status(tmp.path / "img").permissions() & fs::perms::others_all) == fs::perms::none);
}

TEST_CASE("blobs are stored by digest and tags replace each other", "[layout]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto first = layout->put_blob(media_type::oci_manifest, "{\"a\":1}");
    auto second = layout->put_blob(media_type::oci_manifest, "{\"a\":2}");
    CHECK(layout->read_blob(first.digest) == "{\"a\":1}");
    layout->tag(first, "v1");
    layout->tag(second, "v2");
    layout->tag(second, "v1");
    CHECK(layout->entries().size() == 2);
    CHECK(layout->resolve("v1").digest == second.digest);
    CHECK_THROWS_WITH(layout->resolve("v3"), Catch::Contains("no image tagged \"v3\""));
    CHECK_THROWS_WITH(layout->resolve(""), Catch::Contains("holds 2 images"));
}

TEST_CASE("a blob that does not match its digest is refused", "[layout]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto blob = layout->put_blob(media_type::oci_config, "{}");
    std::ofstream(layout->blob_path(blob.digest)) << "{\"tampered\":true}";
    CHECK_THROWS_WITH(layout->read_blob(blob.digest), Catch::Contains("does not match"));
}

TEST_CASE("an existing directory that is not a layout is refused", "[layout]") {
    test::TempDir tmp;
    std::ofstream(tmp.path / "file.txt") << "x";
    CHECK_THROWS_WITH(OciLayout::open(tmp.path, true),
                      Catch::Contains("is not an OCI image layout"));
    CHECK_THROWS_AS(OciLayout::open(tmp.path / "missing", false), InputError);
}

TEST_CASE("an abandoned blob writer leaves no file behind", "[layout]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto before = count_files(tmp.path);
    {
        auto writer = layout->create_blob({});
        writer->write("partial");
    }
    CHECK(count_files(tmp.path) == before);
}

TEST_CASE("oci-archive round trip keeps the tags", "[layout]") {
    test::TempDir tmp;
    auto file = tmp.path / "img.tar";
    {
        OciArchiveSink sink(file);
        auto blob = sink.put_blob(media_type::oci_manifest, "{}");
        sink.tag(blob, "one");
        sink.commit();
    }
    {
        OciArchiveSink sink(file);
        auto blob = sink.put_blob(media_type::oci_manifest, "{\"b\":1}");
        sink.tag(blob, "two");
        sink.commit();
    }
    unpack_oci_archive(file, tmp.path / "unpacked");
    auto layout = OciLayout::open(tmp.path / "unpacked", false);
    CHECK(layout->entries().size() == 2);
    CHECK_NOTHROW(layout->resolve("one"));
}

TEST_CASE("local targets parse", "[layout]") {
    auto a = parse_local_target("oci:./dir:v1");
    CHECK(a.kind == LocalTarget::Kind::layout);
    CHECK(a.path == "./dir");
    CHECK(a.tag == "v1");
    auto b = parse_local_target("oci-archive:/tmp/x.tar");
    CHECK(b.kind == LocalTarget::Kind::archive);
    CHECK(b.tag.empty());
    CHECK_THROWS_AS(parse_local_target("docker://x"), UsageError);
    CHECK_THROWS_AS(parse_local_target("oci:dir:bad tag"), UsageError);
    CHECK_THROWS_AS(parse_local_target("oci::v1"), UsageError);
}

TEST_CASE("local targets end the path at the first colon, as containers/image", "[layout]") {
    auto a = parse_local_target("oci-archive:ck.tar:localhost/counter:v1");
    CHECK(a.kind == LocalTarget::Kind::archive);
    CHECK(a.path == "ck.tar");
    CHECK(a.tag == "localhost/counter:v1");
    auto b = parse_local_target("oci-archive:a.tar:name:v1");
    CHECK(b.path == "a.tar");
    CHECK(b.tag == "name:v1");
    auto c = parse_local_target("oci:/a:b/c");
    CHECK(c.path == "/a");
    CHECK(c.tag == "b/c");
    auto d = parse_local_target("oci:dir:registry.example.com:5000/team/ckpt@sha256:" +
                                std::string(64, 'a'));
    CHECK(d.path == "dir");
    CHECK(d.tag.rfind("registry.example.com:5000/", 0) == 0);
    CHECK(parse_local_target("oci:dir:").tag.empty());
    CHECK_THROWS_AS(parse_local_target("oci:dir:a//b"), UsageError);
    CHECK_THROWS_AS(parse_local_target("oci:dir::v1"), UsageError);
}

TEST_CASE("a path with a colon that the old last-colon rule named is refused", "[layout]") {
    test::TempDir tmp;
    auto old_style = tmp.path / "at:12" / "layout";
    fs::create_directories(old_style);
    CHECK_THROWS_AS(parse_local_target("oci:" + old_style.string()), UsageError);
    // Once the path before the colon exists too, the text is read by the rule alone.
    fs::create_directories(tmp.path / "at");
    auto target = parse_local_target("oci:" + old_style.string());
    CHECK(target.path == (tmp.path / "at").string());
    CHECK(target.tag == "12/layout");
    // "oci:x:y:v1" was the layout "x:y" tagged "v1".
    fs::create_directories(tmp.path / "x:y");
    CHECK_THROWS_AS(parse_local_target("oci:" + (tmp.path / "x:y").string() + ":v1"), UsageError);
}

TEST_CASE("the registry tag of an image reference", "[layout]") {
    CHECK(tag_of_image_ref("v1") == "v1");
    CHECK(tag_of_image_ref("localhost/counter:v1") == "v1");
    CHECK(tag_of_image_ref("counter:v2") == "v2");
    CHECK(tag_of_image_ref("localhost:5000/counter") == "latest");
    CHECK(tag_of_image_ref("localhost:5000/counter:v3") == "v3");
    CHECK(tag_of_image_ref("localhost/counter@sha256:" + std::string(64, 'a')).empty());
    CHECK(tag_of_image_ref("").empty());
    CHECK(is_bare_tag("latest"));
    CHECK_FALSE(is_bare_tag("localhost/counter:v1"));
}

TEST_CASE("the name podman load gives an image", "[layout]") {
    CHECK(image_load_name("localhost/counter:v1", "localhost/ctr-checkpoint") ==
          "localhost/counter:v1");
    CHECK(image_load_name("v1", "localhost/ctr-checkpoint") == "localhost/ctr-checkpoint:v1");
    CHECK(image_load_name("v1", "localhost:5000/team/counter") == "localhost:5000/team/counter:v1");
    CHECK(image_load_name("v1", "").empty());
    CHECK(image_load_name("", "localhost/x").empty());
}
