// Image sources (layout, OCI archive), manifest checks, resolution, the image graph, pull into a
// layout and inspect, on images made here blob by blob.
#include <ckimg/copy.hpp>
#include <ckimg/error.hpp>
#include <ckimg/inspect.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/pull.hpp>
#include <ckimg/source.hpp>

#include "oci/verified_source.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

namespace fs = std::filesystem;
using namespace ckimg;
using nlohmann::json;

namespace {

Descriptor put(OciLayout& layout, const std::string& media_type, const std::string& bytes) {
    return layout.put_blob(media_type, bytes);
}

json descriptor(const Descriptor& d, std::optional<std::string> platform_arch = std::nullopt) {
    json out = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
    if (platform_arch) out["platform"] = {{"os", "linux"}, {"architecture", *platform_arch}};
    return out;
}

struct TestImage {
    Descriptor config, layer, manifest, index;
};

// config + one layer + manifest (with `annotations`) + an index over it, tagged `tag`.
TestImage make_image(OciLayout& layout, const std::string& tag, const json& annotations,
                     const std::string& layer_bytes = "layer bytes", const char* arch = "amd64") {
    TestImage image;
    image.config = put(
        layout, media_type::oci_config,
        json{{"architecture", arch}, {"os", "linux"}, {"created", "2026-01-02T03:04:05Z"}}.dump());
    image.layer = put(layout, media_type::oci_layer_gzip, layer_bytes);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", media_type::oci_manifest},
                     {"config", descriptor(image.config)},
                     {"layers", json::array({descriptor(image.layer)})}};
    if (!annotations.empty()) manifest["annotations"] = annotations;
    image.manifest = put(layout, media_type::oci_manifest, manifest.dump());
    json index = {{"schemaVersion", 2},
                  {"mediaType", media_type::oci_index},
                  {"manifests", json::array({descriptor(image.manifest, std::string(arch))})},
                  {"annotations", {{"index.note", "from the index"}}}};
    image.index = put(layout, media_type::oci_index, index.dump());
    layout.tag(image.index, tag);
    return image;
}

void overwrite(const fs::path& path, const std::string& bytes) {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::size_t temp_files(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        n += entry.path().filename().string().rfind(".ckimg-tmp-", 0) == 0;
    return n;
}

// A source that serves whatever it holds under a digest without checking it: how a cycle, which
// real digests make impossible, can reach the resolver.
class MemorySource : public ImageSource {
public:
    std::map<std::string, std::string> blobs;
    Descriptor root_descriptor;
    Descriptor root() const override { return root_descriptor; }
    std::string read_blob(const Descriptor& blob, std::size_t) override {
        return blobs.at(blob.digest.str());
    }
    std::unique_ptr<ByteSource> open_blob(const Descriptor&) override { return nullptr; }
    std::string describe() const override { return "memory"; }
};

RegistryOptions no_registry() {
    return RegistryOptions{};
}

} // namespace

TEST_CASE("a layout source resolves a tag through the index to the manifest", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto image = make_image(*layout, "v1", {{"a", "b"}});
    auto source = open_image_source("oci:" + (tmp.path / "img").string() + ":v1", no_registry());
    CHECK(source->describe() == "oci:" + (tmp.path / "img").string() + ":v1");
    CHECK(source->root().digest == image.index.digest);
    auto resolved = resolve_image(*source);
    CHECK(resolved.manifest_descriptor.digest == image.manifest.digest);
    CHECK(resolved.config.digest == image.config.digest);
    REQUIRE(resolved.layers.size() == 1);
    CHECK(resolved.layers[0].digest == image.layer.digest);
    CHECK(resolved.manifest_annotations.at("a") == "b");
    CHECK(resolved.index_annotations.at("index.note") == "from the index");
    REQUIRE(resolved.indexes.size() == 1);
    CHECK(resolved.indexes[0].digest == image.index.digest);
}

TEST_CASE("blobs are verified: tampered, truncated, larger, missing", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto image = make_image(*layout, "v1", {});
    auto source = open_image_source("oci:" + (tmp.path / "img").string() + ":v1", no_registry());
    auto path = layout->blob_path(image.layer.digest);
    auto drain = [&] {
        auto stream = source->open_blob(image.layer);
        read_all(*stream, image.layer);
    };
    SECTION("same size, other content") {
        overwrite(path, "LAYER BYTES");
        CHECK_THROWS_WITH(drain(), Catch::Contains("does not match its digest"));
        CHECK_THROWS_AS(source->read_blob(image.layer), InputError);
    }
    SECTION("truncated") {
        overwrite(path, "layer");
        CHECK_THROWS_WITH(drain(), Catch::Contains("truncated: 5 of 11 bytes"));
    }
    SECTION("larger than the descriptor") {
        overwrite(path, "layer bytes and more");
        CHECK_THROWS_WITH(drain(), Catch::Contains("larger than the 11 bytes"));
    }
    SECTION("missing") {
        fs::remove(path);
        CHECK_THROWS_WITH(drain(), Catch::Contains("is missing"));
    }
    SECTION("a digest that cannot be checked") {
        auto other = image.layer;
        other.digest = Digest::parse("sha512:" + std::string(128, 'a'));
        CHECK_THROWS_WITH(source->open_blob(other), Catch::Contains("only sha256"));
    }
}

TEST_CASE("manifests over the size limit are refused before they are read", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto image = make_image(*layout, "v1", {});
    auto source = open_image_source("oci:" + (tmp.path / "img").string() + ":v1", no_registry());
    auto big = image.manifest;
    big.size = 5 << 20;
    CHECK_THROWS_WITH(read_manifest(*source, big), Catch::Contains("over the 4 MiB limit"));
    // A descriptor that understates the size: reading stops at the stated size.
    auto small = image.manifest;
    small.size = 10;
    CHECK_THROWS_WITH(read_manifest(*source, small), Catch::Contains("larger than the 10 bytes"));
}

TEST_CASE("unknown media types and ambiguous documents are refused", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto dir = "oci:" + (tmp.path / "img").string();
    SECTION("a root of an unknown media type") {
        auto blob = put(*layout, "application/vnd.example.thing+json", "{}");
        layout->tag(blob, "odd");
        auto source = open_image_source(dir + ":odd", no_registry());
        CHECK_THROWS_WITH(
            resolve_image(*source),
            Catch::Contains("has media type \"application/vnd.example.thing+json\"") &&
                Catch::Contains("not an OCI or Docker image manifest or index"));
    }
    SECTION("a manifest that says it is an index") {
        auto image = make_image(*layout, "v1", {});
        auto blob = put(*layout, media_type::oci_manifest,
                        json{{"schemaVersion", 2},
                             {"mediaType", media_type::oci_index},
                             {"manifests", json::array({descriptor(image.manifest)})}}
                            .dump());
        layout->tag(blob, "liar");
        auto source = open_image_source(dir + ":liar", no_registry());
        CHECK_THROWS_WITH(resolve_image(*source), Catch::Contains("but was referenced as"));
    }
    SECTION("an index with manifest fields") {
        auto image = make_image(*layout, "v1", {});
        auto blob = put(*layout, media_type::oci_index,
                        json{{"schemaVersion", 2},
                             {"manifests", json::array({descriptor(image.manifest)})},
                             {"layers", json::array()}}
                            .dump());
        layout->tag(blob, "both");
        auto source = open_image_source(dir + ":both", no_registry());
        CHECK_THROWS_WITH(resolve_image(*source), Catch::Contains("ambiguous document"));
    }
    SECTION("not JSON") {
        auto blob = put(*layout, media_type::oci_manifest, "not json");
        layout->tag(blob, "text");
        auto source = open_image_source(dir + ":text", no_registry());
        CHECK_THROWS_WITH(resolve_image(*source), Catch::Contains("not valid JSON"));
    }
}

TEST_CASE("an index that leads back to itself is a cycle", "[image_source]") {
    MemorySource source;
    auto digest = Digest::parse("sha256:" + std::string(64, 'c'));
    Descriptor self{media_type::oci_index, digest, 100, {}, std::nullopt, std::nullopt};
    source.blobs[digest.str()] =
        json{{"schemaVersion", 2}, {"manifests", json::array({descriptor(self)})}}.dump();
    source.root_descriptor = self;
    CHECK_THROWS_WITH(resolve_image(source), Catch::Contains("(a cycle)"));
    CHECK_THROWS_WITH(read_image_graph(source), Catch::Contains("(a cycle)"));
}

TEST_CASE("indexes nested deeper than the limit are refused", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto image = make_image(*layout, "v1", {});
    auto wrap = [&](int levels) {
        auto current = image.index; // already one index
        for (int i = 1; i < levels; ++i)
            current =
                put(*layout, media_type::oci_index,
                    json{{"schemaVersion", 2}, {"manifests", json::array({descriptor(current)})}}
                        .dump());
        layout->tag(current, "nested");
        return open_image_source("oci:" + (tmp.path / "img").string() + ":nested", no_registry());
    };
    auto four = wrap(kMaxIndexDepth);
    CHECK(resolve_image(*four).manifest_descriptor.digest == image.manifest.digest);
    CHECK(read_image_graph(*four).manifests.size() == 5);
    auto five = wrap(kMaxIndexDepth + 1);
    CHECK_THROWS_WITH(resolve_image(*five), Catch::Contains("nested deeper than 4 levels"));
    CHECK_THROWS_WITH(read_image_graph(*five), Catch::Contains("nested deeper than 4 levels"));
}

TEST_CASE("an index with several platforms resolves to the one asked for", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto amd = make_image(*layout, "amd", {}, "amd64 layer", "amd64");
    auto arm = make_image(*layout, "arm", {}, "arm64 layer", "arm64");
    auto index = put(*layout, media_type::oci_index,
                     json{{"schemaVersion", 2},
                          {"mediaType", media_type::oci_index},
                          {"manifests", json::array({descriptor(amd.manifest, "amd64"),
                                                     descriptor(arm.manifest, "arm64")})}}
                         .dump());
    layout->tag(index, "multi");
    auto source = open_image_source("oci:" + (tmp.path / "img").string() + ":multi", no_registry());
    CHECK(resolve_image(*source, Platform::parse("linux/arm64")).layers[0].digest ==
          arm.layer.digest);
    CHECK(resolve_image(*source, Platform::parse("linux/x86_64")).layers[0].digest ==
          amd.layer.digest);
    CHECK_THROWS_WITH(resolve_image(*source, Platform::parse("linux/s390x")),
                      Catch::Contains("no manifest for linux/s390x") &&
                          Catch::Contains("linux/amd64, linux/arm64"));
    // The image graph holds both platforms, children before the index, each blob once.
    auto graph = read_image_graph(*source);
    REQUIRE(graph.manifests.size() == 3);
    CHECK(graph.manifests.back().descriptor.digest == index.digest);
    CHECK(graph.blobs.size() == 4); // two configs (their architectures differ), two layers
}

TEST_CASE("a single-image index resolves whatever the host's platform", "[image_source]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    auto image = make_image(*layout, "v1", {}, "layer", "riscv64");
    auto source = open_image_source("oci:" + (tmp.path / "img").string() + ":v1", no_registry());
    CHECK(resolve_image(*source).manifest_descriptor.digest == image.manifest.digest);
}

TEST_CASE("an OCI archive is read from a private copy removed afterwards", "[image_source]") {
    test::TempDir tmp;
    auto file = tmp.path / "img.tar";
    TestImage image;
    {
        OciArchiveSink sink(file);
        auto layout = OciLayout::open(tmp.path / "plain", true);
        image = make_image(*layout, "v1", {{"k", "v"}});
        for (const auto& blob : {image.config, image.layer, image.manifest, image.index})
            sink.put_blob(blob.media_type, layout->read_blob(blob.digest));
        sink.tag(image.index, "v1");
        sink.commit();
    }
    auto private_tmp = tmp.path / "tmp";
    fs::create_directories(private_tmp);
    ::setenv("TMPDIR", private_tmp.c_str(), 1);
    {
        auto source = open_image_source("oci-archive:" + file.string() + ":v1", no_registry());
        CHECK(source->describe() == "oci-archive:" + file.string() + ":v1");
        auto resolved = resolve_image(*source);
        CHECK(resolved.manifest_annotations.at("k") == "v");
        auto stream = source->open_blob(image.layer);
        CHECK(read_all(*stream, image.layer) == "layer bytes");
        CHECK(!fs::is_empty(private_tmp));
    }
    ::unsetenv("TMPDIR");
    CHECK(fs::is_empty(private_tmp));
    CHECK_THROWS_WITH(
        open_image_source("oci-archive:" + (tmp.path / "none.tar").string(), no_registry()),
        Catch::Contains("no such OCI archive"));
}

TEST_CASE("pull copies an image whole into a new layout, digests kept", "[image_source][pull]") {
    test::TempDir tmp;
    auto from = OciLayout::open(tmp.path / "from", true);
    auto image = make_image(*from, "v1", {{"k", "v"}});
    auto source = open_image_source("oci:" + (tmp.path / "from").string() + ":v1", no_registry());
    auto result = pull_image(*source, (tmp.path / "to").string(), "copy", PullOptions{});
    CHECK(result.root.digest == image.index.digest);
    CHECK(result.copied == 2);
    CHECK(result.present == 0);
    CHECK(result.manifests == 2);
    CHECK(result.bytes == static_cast<std::uint64_t>(image.config.size + image.layer.size));
    auto to = OciLayout::open(tmp.path / "to", false);
    CHECK(to->resolve("copy").digest == image.index.digest);
    for (const auto& blob : {image.config, image.layer, image.manifest, image.index})
        CHECK(to->read_blob(blob.digest) == from->read_blob(blob.digest));
    // Again into the same layout: nothing to copy.
    auto again = pull_image(*source, (tmp.path / "to").string(), "copy2", PullOptions{});
    CHECK(again.copied == 0);
    CHECK(again.present == 2);
}

TEST_CASE("a failed pull leaves nothing half-written", "[image_source][pull]") {
    test::TempDir tmp;
    auto from = OciLayout::open(tmp.path / "from", true);
    auto image = make_image(*from, "v1", {}, std::string(3 << 20, 'x'));
    overwrite(from->blob_path(image.layer.digest), std::string(3 << 20, 'y'));
    auto source = open_image_source("oci:" + (tmp.path / "from").string() + ":v1", no_registry());
    SECTION("a layout the pull created is removed") {
        CHECK_THROWS_WITH(pull_image(*source, (tmp.path / "to").string(), "v1", PullOptions{}),
                          Catch::Contains("does not match its digest"));
        CHECK(!fs::exists(tmp.path / "to"));
    }
    SECTION("an existing layout keeps its tags and gains no partial blob or tag") {
        auto to = OciLayout::open(tmp.path / "to", true);
        auto kept = make_image(*to, "old", {{"old", "yes"}});
        CHECK_THROWS_AS(pull_image(*source, (tmp.path / "to").string(), "new", PullOptions{}),
                        InputError);
        auto entries = to->entries();
        REQUIRE(entries.size() == 1);
        CHECK(entries[0].digest == kept.index.digest);
        CHECK(!to->has_blob(image.layer.digest));
        CHECK(temp_files(tmp.path / "to") == 0);
    }
}

TEST_CASE("a pull stops in the middle of a blob when cancelled", "[image_source][pull]") {
    test::TempDir tmp;
    auto from = OciLayout::open(tmp.path / "from", true);
    auto image = make_image(*from, "v1", {}, std::string(6 << 20, 'x'));
    auto source = open_image_source("oci:" + (tmp.path / "from").string() + ":v1", no_registry());
    CancelToken cancel;
    bool layer_finished = false;
    PullOptions options;
    options.registry.jobs = 1;
    Context context;
    context.cancel = &cancel;
    // Cancelled once the layer's first MiB is through: the copy must stop before its end (a check
    // only before or after the blobs would let the layer finish).
    context.progress = [&](const TransferProgress& progress) {
        if (progress.digest != image.layer.digest.str()) return;
        if (progress.finished) layer_finished = true;
        cancel.cancel();
    };
    CHECK_THROWS_AS(pull_image(*source, (tmp.path / "to").string(), "v1", options, context),
                    Cancelled);
    CHECK_FALSE(layer_finished);
    CHECK(!fs::exists(tmp.path / "to"));
}

// Wraps a layout and records the calls a copy makes, to check their order.
class RecordingSink : public ImageSink {
public:
    explicit RecordingSink(OciLayout& layout) : layout_(layout) {}
    std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) override {
        return layout_.create_blob(replay);
    }
    BlobReuse try_reuse_blob(const Descriptor& blob,
                             const std::vector<std::string>& related) override {
        return layout_.try_reuse_blob(blob, related);
    }
    void write_blob(const BlobInput& blob, const BlobProgress& progress) override {
        ImageSink::write_blob(blob, progress);
        record("blob " + blob.descriptor.digest.str());
    }
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override {
        auto stored = layout_.put_blob(media_type, bytes);
        record("manifest " + stored.digest.str());
        return stored;
    }
    void tag(const Descriptor& root, const std::string& tag) override {
        layout_.tag(root, tag);
        record("tag " + tag);
    }
    void commit() override { record("commit"); }
    std::string describe(const std::string& tag) const override { return layout_.describe(tag); }

    std::vector<std::string> events;

private:
    void record(const std::string& event) {
        std::lock_guard lock(mutex_);
        events.push_back(event);
    }
    OciLayout& layout_;
    std::mutex mutex_;
};

TEST_CASE("copy_image stores the blobs, then the manifests children first, then the tags",
          "[copy]") {
    test::TempDir tmp;
    auto from = OciLayout::open(tmp.path / "from", true);
    auto image = make_image(*from, "v1", {{"k", "v"}});
    auto source = open_image_source("oci:" + (tmp.path / "from").string() + ":v1", no_registry());
    auto to = OciLayout::open(tmp.path / "to", true);
    RecordingSink sink(*to);
    CopyOptions options;
    options.tags = {"a", "b"};
    auto result = copy_image(*source, sink, options);
    CHECK(result.copied == 2);
    REQUIRE(sink.events.size() == 7);
    std::set<std::string> blobs(sink.events.begin(), sink.events.begin() + 2);
    CHECK(blobs == std::set<std::string>{"blob " + image.config.digest.str(),
                                         "blob " + image.layer.digest.str()});
    CHECK(sink.events[2] == "manifest " + image.manifest.digest.str());
    CHECK(sink.events[3] == "manifest " + image.index.digest.str());
    CHECK(sink.events[4] == "tag a");
    CHECK(sink.events[5] == "tag b");
    CHECK(sink.events[6] == "commit");
    // What the sink has is reused, not written again.
    RecordingSink again(*to);
    auto second = copy_image(*source, again, options);
    CHECK(second.copied == 0);
    CHECK(second.present == 2);
    CHECK(again.events.front() == "manifest " + image.manifest.digest.str());
}

TEST_CASE("copy by name: layout to OCI archive to layout, tags from the names", "[copy]") {
    test::TempDir tmp;
    auto from = OciLayout::open(tmp.path / "from", true);
    auto image = make_image(*from, "v1", {});
    auto archive = "oci-archive:" + (tmp.path / "img.tar").string();
    CopyOptions options;
    options.tags = {"extra"};
    auto packed =
        copy("oci:" + (tmp.path / "from").string() + ":v1", archive, no_registry(), options);
    CHECK(packed.destination == archive + ":v1");
    auto back = copy(archive + ":extra", "oci:" + (tmp.path / "back").string(), no_registry(),
                     CopyOptions{});
    CHECK(back.root.digest == image.index.digest);
    auto layout = OciLayout::open(tmp.path / "back", false);
    CHECK(layout->resolve("extra").digest == image.index.digest);
    CHECK_THROWS(copy("oci:" + (tmp.path / "none").string(), "oci:" + (tmp.path / "x").string(),
                      no_registry(), CopyOptions{}));
    CHECK(!fs::exists(tmp.path / "x"));
}

TEST_CASE("pull writes only OCI layouts", "[pull]") {
    CHECK_THROWS_AS(pull("oci:/nonexistent", "oci-archive:/tmp/x.tar", PullOptions{}), UsageError);
}

TEST_CASE("inspect reports the image and the checkpoint its format records",
          "[image_source][inspect]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    make_image(*layout, "plain", {{"org.opencontainers.image.title", "hello"}});
    make_image(*layout, "ckpt",
               {{"io.kubernetes.cri-o.annotations.checkpoint.name", "counter"},
                {"org.criu.checkpoint.engine.name", "CRI-O"},
                {"org.criu.checkpoint.pod.name", "counter-pod"},
                {"org.criu.checkpoint.pod.namespace", "default"}},
               "checkpoint layer");
    auto name = "oci:" + (tmp.path / "img").string();
    InspectOptions options;

    auto plain = inspect(name + ":plain", options);
    REQUIRE(plain.image);
    CHECK_FALSE(plain.checkpoint);
    CHECK(plain.image->format.empty());
    auto plain_json = to_json(plain);
    CHECK(plain_json["type"] == "image");
    CHECK(plain_json["checkpoint"].is_null());
    CHECK(plain_json["image"]["layers"][0]["compression"] == "gzip");
    CHECK(plain_json["image"]["platform"] == "linux/amd64");
    CHECK(plain_json["image"]["created"] == "2026-01-02T03:04:05Z");
    CHECK(plain_json["image"]["annotations"]["org.opencontainers.image.title"] == "hello");

    auto ckpt = to_json(inspect(name + ":ckpt", options));
    CHECK(ckpt["image"]["format"] == "crio");
    CHECK(ckpt["checkpoint"]["container"] == "counter");
    CHECK(ckpt["checkpoint"]["pod"] == "counter-pod");
    CHECK(ckpt["checkpoint"]["namespace"] == "default");
    CHECK(ckpt["checkpoint"]["engine"] == "CRI-O");
    CHECK(ckpt["checkpoint"]["memoryPagesSize"].is_null()); // not recorded, not zero
}

TEST_CASE("inspect tells files from registry references", "[inspect]") {
    test::TempDir tmp;
    InspectOptions options;
    CHECK_THROWS_WITH(inspect((tmp.path / "missing.tar").string(), options),
                      Catch::Contains("no such file"));
    CHECK_THROWS_WITH(inspect("./missing", options), Catch::Contains("no such file"));
    CHECK_THROWS_AS(inspect(tmp.path.string(), options), UsageError);
}

TEST_CASE("layer compression comes from the media type", "[inspect]") {
    CHECK(layer_compression(media_type::oci_layer_gzip) == "gzip");
    CHECK(layer_compression(media_type::oci_layer_zstd) == "zstd");
    CHECK(layer_compression(media_type::oci_layer_tar) == "none");
    CHECK(layer_compression("application/vnd.example.pages.v1.tar+zstd") == "zstd");
    CHECK_FALSE(layer_compression("application/json"));
}
