// The checkpoint image formats in process: detection tables, write -> read round trips that
// must give back every entry in order with its contents, the oci-checkpoint layer split and
// config, Podman's annotations and warnings, and hostile images read back.
#include <ckimg/build.hpp>
#include <ckimg/error.hpp>
#include <ckimg/format.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/source.hpp>

#include "formats/oci_checkpoint_config.hpp"
#include "oci/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ckimg;
using nlohmann::json;

namespace {

using ckimg::test::StringSink;
using ckimg::test::StringSource;

// An archive entry as the tests write and read it.
struct Entry {
    std::string path;
    EntryType type = EntryType::file;
    std::string content; // files
    std::string link;    // links
    std::uint32_t mode = 0644;
    std::int64_t mtime = 1767225600;
    bool operator==(const Entry& other) const {
        return path == other.path && type == other.type && content == other.content &&
               link == other.link && mode == other.mode && mtime == other.mtime;
    }
};

std::ostream& operator<<(std::ostream& out, const Entry& entry) {
    return out << entry.path << " (type " << static_cast<int>(entry.type) << ", mode " << std::oct
               << entry.mode << std::dec << ", mtime " << entry.mtime << ", "
               << entry.content.size() << " bytes, link \"" << entry.link << "\")";
}

Entry file(std::string path, std::string content) {
    return {std::move(path), EntryType::file, std::move(content), "", 0644, 1767225600};
}

Entry link(EntryType type, std::string path, std::string target) {
    return {std::move(path), type, "", std::move(target), 0777, 1767225600};
}

std::string tar_of(const std::vector<Entry>& entries) {
    StringSink sink;
    TarWriter tar(sink);
    for (const auto& entry : entries) {
        StringSource data(entry.content);
        ArchiveEntry header{};
        header.path = entry.path;
        header.type = entry.type;
        header.mode = entry.mode;
        header.mtime = entry.mtime;
        header.size = entry.type == EntryType::file ? entry.content.size() : 0;
        header.link_target = entry.link;
        header.data = entry.type == EntryType::file ? &data : nullptr;
        tar.add(header);
    }
    tar.finish();
    return sink.bytes;
}

std::vector<Entry> entries_of(const std::string& tar) {
    std::vector<Entry> entries;
    archive* reader = archive_read_new();
    archive_read_support_format_tar(reader);
    REQUIRE(archive_read_open_memory(reader, tar.data(), tar.size()) == ARCHIVE_OK);
    archive_entry* header = nullptr;
    while (archive_read_next_header(reader, &header) == ARCHIVE_OK) {
        Entry entry;
        entry.path = archive_entry_pathname(header);
        if (entry.path.size() > 1 && entry.path.back() == '/') entry.path.pop_back();
        entry.mode = archive_entry_perm(header) & 07777;
        entry.mtime = archive_entry_mtime(header);
        if (archive_entry_hardlink(header) != nullptr) {
            entry.type = EntryType::hardlink;
            entry.link = archive_entry_hardlink(header);
        } else if (archive_entry_filetype(header) == AE_IFDIR) {
            entry.type = EntryType::directory;
        } else if (archive_entry_filetype(header) == AE_IFLNK) {
            entry.type = EntryType::symlink;
            entry.link = archive_entry_symlink(header);
        }
        char buffer[4096];
        la_ssize_t got = 0;
        while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0)
            entry.content.append(buffer, static_cast<std::size_t>(got));
        entries.push_back(entry);
    }
    archive_read_free(reader);
    return entries;
}

std::string pages(std::size_t size, char seed) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>(seed + i * 7 % 251);
    return bytes;
}

const std::string kImageDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string config_dump(Engine engine) {
    if (engine == Engine::podman)
        return json{{"id", "c0ffee"},
                    {"name", "counter"},
                    {"runtime", "crun"},
                    {"rootfsImageID", "feed"},
                    {"RawImageName", "quay.io/example/counter:latest"},
                    {"rootfsImageName", "quay.io/example/counter:latest"},
                    {"createdTime", "2026-01-01T00:00:00Z"}}
            .dump();
    return json{{"id", "c0ffee"},
                {"name", "k8s_counter_counters_default_uid_0"},
                {"rootfsImage", "quay.io/example/counter@" + kImageDigest},
                {"rootfsImageRef", "feed"},
                {"rootfsImageName", "quay.io/example/counter:latest"},
                {"runtime", engine == Engine::crio ? "runc" : "io.containerd.runc.v2"},
                {"createdTime", "2026-01-01T00:00:00Z"},
                {"checkpointedTime", "2026-01-02T03:04:05Z"},
                {"restoredTime", "0001-01-01T00:00:00Z"},
                {"restored", false}}
        .dump();
}

std::string spec_dump(Engine engine) {
    json annotations;
    if (engine == Engine::crio)
        annotations = {{"io.container.manager", "cri-o"},
                       {"io.kubernetes.container.name", "counter"},
                       {"io.kubernetes.pod.name", "counters"},
                       {"io.kubernetes.pod.namespace", "default"}};
    else if (engine == Engine::podman)
        annotations = {{"io.container.manager", "libpod"}};
    else
        annotations = {{"io.kubernetes.cri.container-name", "counter"},
                       {"io.kubernetes.cri.sandbox-name", "counters"},
                       {"io.kubernetes.cri.sandbox-namespace", "default"}};
    return json{{"ociVersion", "1.0.2"}, {"annotations", annotations}}.dump();
}

// Components interleaved as engines write them, with a link of each kind.
std::vector<Entry> sample_entries(Engine engine) {
    return {
        {"config.dump", EntryType::file, config_dump(engine), "", 0600, 1767225601},
        {"checkpoint", EntryType::directory, "", "", 0755, 1767225602},
        {"checkpoint/inventory.img", EntryType::file, "inventory", "", 0600, 1767225603},
        {"checkpoint/pages-1.img", EntryType::file, pages(20000, 1), "", 0600, 1767225604},
        {"checkpoint/core-1.img", EntryType::file, "core", "", 0600, 1767225605},
        {"spec.dump", EntryType::file, spec_dump(engine), "", 0600, 1767225606},
        {"rootfs-diff.tar", EntryType::file, pages(10240, 3), "", 0644, 1767225607},
        {"dump.log", EntryType::file, "criu log\n", "", 0644, 1767225608},
        {"checkpoint/pages-2.img", EntryType::file, pages(8192, 5), "", 0600, 1767225609},
        {"checkpoint/current", EntryType::symlink, "", "inventory.img", 0777, 1767225610},
        {"deleted.files", EntryType::file, "[]", "", 0644, 1767225611},
        {"stats-dump", EntryType::hardlink, "", "dump.log", 0644, 1767225608},
    };
}

// What reading an archive back gives: a hard link has no content of its own.
std::vector<Entry> expected_entries(Engine engine) {
    return sample_entries(engine);
}

std::string write_archive(const fs::path& dir, const std::vector<Entry>& entries) {
    auto path = (dir / "checkpoint.tar").string();
    std::ofstream(path, std::ios::binary) << tar_of(entries);
    return path;
}

struct Built {
    BuildResult result;
    std::string name; // oci:DIR:latest
};

Built build(const fs::path& dir, Engine engine, const std::string& format,
            FormatOptions format_options = {}) {
    CheckpointArchive archive(write_archive(dir, sample_entries(engine)));
    auto layout = OciLayout::open(dir / "img", true);
    BuildOptions options;
    options.format = format;
    options.format_options = std::move(format_options);
    auto result = build_into(archive, *layout, options);
    layout->tag(result.root, "latest");
    return {result, "oci:" + (dir / "img").string() + ":latest"};
}

std::string read_back(const std::string& name, const Format** detected = nullptr) {
    auto source = open_image_source(name, RegistryOptions{});
    auto image = resolve_image(*source);
    const Format* format = detect_format(image.manifest);
    REQUIRE(format != nullptr);
    if (detected != nullptr) *detected = format;
    StringSink out;
    format->read(*source, image, out);
    return out.bytes;
}

CheckpointInfo describe(const std::string& name) {
    auto source = open_image_source(name, RegistryOptions{});
    auto image = resolve_image(*source);
    return detect_format(image.manifest)->describe(*source, image);
}

json manifest_of(const std::string& name) {
    auto source = open_image_source(name, RegistryOptions{});
    return resolve_image(*source).manifest;
}

} // namespace

TEST_CASE("every format gives back the archive: entries, order, contents", "[formats]") {
    for (const char* format_name : {"crio", "podman", "oci-checkpoint"}) {
        for (Engine engine : {Engine::crio, Engine::containerd, Engine::podman}) {
            INFO(format_name << " from a " << engine_display_name(engine) << " archive");
            test::TempDir tmp;
            auto built = build(tmp.path, engine, format_name);
            const Format* detected = nullptr;
            auto archive = read_back(built.name, &detected);
            CHECK(detected->name() == format_name);
            CHECK(entries_of(archive) == expected_entries(engine));
        }
    }
}

TEST_CASE("detection: each format knows its own manifests and no other", "[formats]") {
    const json image_config = {{"mediaType", media_type::oci_config}};
    const json artifact_config = {{"mediaType", oci_checkpoint::kConfigMediaType}};
    auto manifest = [](const json& config, const json& annotations) {
        json m = {{"schemaVersion", 2}, {"config", config}, {"layers", json::array()}};
        if (!annotations.is_null()) m["annotations"] = annotations;
        return m;
    };
    const json crio_key = {{"io.kubernetes.cri-o.annotations.checkpoint.name", "counter"}};
    const json podman_key = {{"io.podman.annotations.checkpoint.runtime.name", "crun"}};
    const json podman_name_only = {{"io.podman.annotations.checkpoint.name", "counter"}};
    const json criu_only = {{"org.criu.checkpoint.container.name", "counter"}};
    json artifact = manifest(json{{"mediaType", media_type::oci_empty}}, nullptr);
    artifact["artifactType"] = oci_checkpoint::kArtifactType;

    struct Case {
        const char* what;
        json manifest;
        const char* format; // nullptr: not a checkpoint
    };
    const Case cases[] = {
        {"the buildah recipe's image", manifest(image_config, crio_key), "crio"},
        {"podman --create-image's image", manifest(image_config, podman_key), "podman"},
        {"podman needs runtime.name", manifest(image_config, podman_name_only), nullptr},
        {"checkpointctl's keys alone", manifest(image_config, criu_only), nullptr},
        {"a normal image", manifest(image_config, nullptr), nullptr},
        {"oci-checkpoint by its config", manifest(artifact_config, nullptr), "oci-checkpoint"},
        {"oci-checkpoint by artifactType", artifact, "oci-checkpoint"},
        {"a CRI-O key on an artifact is not crio", manifest(artifact_config, crio_key),
         "oci-checkpoint"},
        {"another artifact",
         manifest(json{{"mediaType", "application/vnd.example+json"}}, crio_key), nullptr},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const Format* format = detect_format(c.manifest);
        if (c.format == nullptr)
            CHECK(format == nullptr);
        else
            CHECK((format != nullptr && format->name() == c.format));
    }
}

TEST_CASE("formats lists three, each with a description", "[formats]") {
    std::vector<std::string> names;
    for (const auto* format : all_formats()) {
        names.push_back(format->name());
        CHECK_FALSE(format->description().empty());
    }
    CHECK(names == std::vector<std::string>{"crio", "podman", "oci-checkpoint"});
    CHECK_THAT(find_format("podman").description(),
               Catch::Contains("only archives that Podman made"));
    CHECK_THROWS_AS(find_format("docker"), UsageError);
}

TEST_CASE("oci-checkpoint splits the archive by component", "[formats][oci-checkpoint]") {
    test::TempDir tmp;
    auto built = build(tmp.path, Engine::crio, "oci-checkpoint");
    const auto& plan = built.result.plan;
    std::vector<std::string> types;
    for (const auto& layer : plan.layers)
        types.push_back(layer.descriptor.media_type);
    const std::string prefix = "application/vnd.oci.image.checkpoint.";
    CHECK(types ==
          std::vector<std::string>{prefix + "metadata.v1.tar+gzip", prefix + "criu.v1.tar+gzip",
                                   prefix + "rootfs-diff.v1.tar+gzip", prefix + "pages.v1.tar+gzip",
                                   prefix + "pages.v1.tar+gzip"});
    CHECK(plan.config_media_type == oci_checkpoint::kConfigMediaType);
    CHECK(plan.artifact_type == std::string(oci_checkpoint::kArtifactType));

    auto manifest = manifest_of(built.name);
    CHECK(manifest["artifactType"] == oci_checkpoint::kArtifactType);
    const auto& a = manifest["annotations"];
    CHECK(a["org.opencontainers.image.checkpoint.name"] == "counter");
    CHECK(a["org.opencontainers.image.checkpoint.engine"] == "cri-o");
    CHECK(a["org.opencontainers.image.checkpoint.checkpointer"] == "criu");
    CHECK(a["org.opencontainers.image.checkpoint.runtime"] == "runc");
    CHECK(a["org.opencontainers.image.checkpoint.created"] == "2026-01-02T03:04:05Z");
    CHECK(a["org.opencontainers.image.checkpoint.base.name"] == "quay.io/example/counter:latest");
    CHECK(a["org.opencontainers.image.checkpoint.base.digest"] == kImageDigest);
    // Restorers that know today's keys must not mistake the split image for their own.
    CHECK_FALSE(a.contains("io.kubernetes.cri-o.annotations.checkpoint.name"));
    CHECK_FALSE(a.contains("org.criu.checkpoint.container.name"));

    const auto& config = plan.config;
    CHECK(config["specVersion"] == oci_checkpoint::kSpecVersion);
    CHECK(config["entries"].size() == sample_entries(Engine::crio).size());
    CHECK(config["entries"][3]["path"] == "checkpoint/pages-1.img");
    CHECK(config["entries"][3]["layer"] == 3);
    CHECK(config["entries"][3]["mtime"] == 1767225604);
    CHECK(config["layers"][4]["role"] == "pages");
    CHECK(config["layers"][4]["diffID"] == plan.layers[4].diff_id.str());
}

TEST_CASE("oci-checkpoint pages layers deduplicate across checkpoints",
          "[formats][oci-checkpoint]") {
    // The same memory checkpointed at another time: only the modification times differ.
    test::TempDir one, two;
    auto first = build(one.path, Engine::crio, "oci-checkpoint");
    auto entries = sample_entries(Engine::crio);
    for (auto& entry : entries)
        entry.mtime += 3600;
    CheckpointArchive archive(write_archive(two.path, entries));
    auto layout = OciLayout::open(two.path / "img", true);
    BuildOptions options;
    options.format = "oci-checkpoint";
    auto second = build_into(archive, *layout, options);
    for (std::size_t i = 3; i < 5; ++i)
        CHECK(first.result.plan.layers[i].descriptor.digest ==
              second.plan.layers[i].descriptor.digest);
    CHECK(first.result.root.digest != second.root.digest);
}

TEST_CASE("describe reports the archive's facts without reading layers", "[formats]") {
    test::TempDir tmp;
    CheckpointArchive archive(write_archive(tmp.path, sample_entries(Engine::crio)));
    archive.scan([](ArchiveEntry&) {});
    const auto& truth = archive.info();

    test::TempDir a;
    auto info = describe(build(a.path, Engine::crio, "oci-checkpoint").name);
    CHECK(info.checkpointed_source == "image config");
    auto described = to_json(info), archived = to_json(truth);
    described.erase("checkpointedFrom"); // where the archive's time came from is not recorded
    archived.erase("checkpointedFrom");
    CHECK(described == archived);

    test::TempDir b;
    auto crio = describe(build(b.path, Engine::crio, "crio").name);
    CHECK(crio.engine == Engine::crio);
    CHECK(crio.container_name == "counter");
    CHECK(crio.pod_name == "counters");
    CHECK(crio.pod_namespace == "default");
    CHECK(crio.rootfs_image_name == "quay.io/example/counter:latest");
    CHECK(crio.runtime == "runc");
    CHECK(crio.host_arch == truth.host_arch); // what the archive records, not the image's platform
    CHECK(crio.pages_size == 0);              // not recorded outside the layer

    test::TempDir c;
    auto podman = describe(build(c.path, Engine::podman, "podman").name);
    CHECK(podman.engine == Engine::podman);
    CHECK(podman.container_name == "counter");
    CHECK(podman.runtime == "crun");
    CHECK(podman.raw_image_name == "quay.io/example/counter:latest");
}

TEST_CASE("podman: Podman's keys, what the archive records, and a warning for other engines",
          "[formats][podman]") {
    test::TempDir own;
    auto podman = build(own.path, Engine::podman, "podman");
    CHECK(podman.result.plan.warnings.empty());
    const auto& a = podman.result.plan.manifest_annotations;
    CHECK(a.at("io.podman.annotations.checkpoint.name") == "counter");
    CHECK(a.at("io.podman.annotations.checkpoint.runtime.name") == "crun");
    CHECK(a.at("io.podman.annotations.checkpoint.rootfsImageID") == "feed");
    CHECK(a.at("io.podman.annotations.checkpoint.rawImageName") ==
          "quay.io/example/counter:latest");
    CHECK(a.count("io.podman.annotations.checkpoint.podman.version") == 0); // not recorded
    CHECK(a.count("io.kubernetes.cri-o.annotations.checkpoint.name") == 0);
    CHECK(podman.result.plan.index_annotations.empty());

    test::TempDir other;
    auto from_containerd = build(other.path, Engine::containerd, "podman");
    REQUIRE(from_containerd.result.plan.warnings.size() == 1);
    CHECK_THAT(from_containerd.result.plan.warnings[0],
               Catch::Contains("made by containerd") && Catch::Contains("Podman restores only"));
    // Podman compares the OCI runtime's name, not containerd's shim.
    CHECK(from_containerd.result.plan.manifest_annotations.at(
              "io.podman.annotations.checkpoint.runtime.name") == "runc");
}

TEST_CASE("the base-image option links a checkpoint to its image as subject", "[formats]") {
    test::TempDir tmp;
    FormatOptions options;
    Descriptor base;
    base.media_type = media_type::oci_index;
    base.digest = Digest::parse(kImageDigest);
    base.size = 1234;
    options.base_image = base;
    auto built = build(tmp.path, Engine::crio, "oci-checkpoint", options);
    CHECK(built.result.plan.warnings.empty());
    auto subject = manifest_of(built.name)["subject"];
    CHECK(subject ==
          json{{"mediaType", media_type::oci_index}, {"digest", kImageDigest}, {"size", 1234}});

    test::TempDir crio;
    auto single = build(crio.path, Engine::crio, "crio", options);
    CHECK(manifest_of(single.name)["subject"]["digest"] == kImageDigest);

    test::TempDir other;
    base.digest = Digest::parse("sha256:" + std::string(64, 'f'));
    options.base_image = base;
    auto mismatch = build(other.path, Engine::crio, "oci-checkpoint", options);
    REQUIRE(mismatch.result.plan.warnings.size() == 1);
    CHECK_THAT(mismatch.result.plan.warnings[0], Catch::Contains("was made from " + kImageDigest));
}

namespace {

// A crio-format image whose one layer is `layer_tar` (uncompressed), as a hostile layout
// could hold it.
std::string crafted_crio_image(const fs::path& dir, const std::string& layer_tar,
                               const std::string& diff_id = "") {
    auto layout = OciLayout::open(dir / "img", true);
    json config = {{"architecture", "amd64"}, {"os", "linux"}};
    if (!diff_id.empty()) config["rootfs"] = {{"type", "layers"}, {"diff_ids", {diff_id}}};
    auto config_blob = layout->put_blob(media_type::oci_config, config.dump());
    auto layer = layout->put_blob(media_type::oci_layer_tar, layer_tar);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", media_type::oci_manifest},
                     {"config", to_json(config_blob)},
                     {"layers", {to_json(layer)}},
                     {"annotations", {{"io.kubernetes.cri-o.annotations.checkpoint.name", "x"}}}};
    auto root = layout->put_blob(media_type::oci_manifest, manifest.dump());
    layout->tag(root, "latest");
    return "oci:" + (dir / "img").string() + ":latest";
}

// Rewrites an oci-checkpoint image's config with `edit`, keeping its layers.
std::string edit_config(const std::string& name, const fs::path& dir,
                        const std::function<void(json&)>& edit) {
    auto source = open_image_source(name, RegistryOptions{});
    auto image = resolve_image(*source);
    auto config = json::parse(source->read_blob(image.config));
    edit(config);
    auto layout = OciLayout::open(dir / "img", false);
    auto config_blob = layout->put_blob(oci_checkpoint::kConfigMediaType, config.dump());
    auto manifest = image.manifest;
    manifest["config"] = to_json(config_blob);
    auto root = layout->put_blob(media_type::oci_manifest, manifest.dump());
    layout->tag(root, "edited");
    return "oci:" + (dir / "img").string() + ":edited";
}

} // namespace

TEST_CASE("a hostile layer cannot write outside the exported tree", "[formats][hostile]") {
    struct Case {
        const char* what;
        std::vector<Entry> layer;
        const char* error;
    };
    const Case cases[] = {
        {"dot-dot", {file("../../etc/cron.d/x", "x")}, "path traversal"},
        {"absolute", {file("/etc/passwd", "x")}, "absolute path"},
        {"symlink out",
         {link(EntryType::symlink, "config.dump", "../../etc/shadow")},
         "points outside"},
        {"through a symlink",
         {link(EntryType::symlink, "dir", "."), file("dir/config.dump", "x")},
         "is not a directory"},
        {"duplicate", {file("a", "1"), file("a", "2")}, "duplicate"},
        {"hard link to nothing",
         {link(EntryType::hardlink, "a", "missing")},
         "not an earlier file"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        test::TempDir tmp;
        auto name = crafted_crio_image(tmp.path, tar_of(c.layer));
        CHECK_THROWS_WITH(read_back(name), Catch::Contains(c.error));
    }
}

TEST_CASE("a layer whose content is not its diff ID is refused", "[formats][hostile]") {
    test::TempDir tmp;
    auto name = crafted_crio_image(tmp.path, tar_of({file("config.dump", "{}")}),
                                   "sha256:" + std::string(64, '0'));
    CHECK_THROWS_WITH(read_back(name), Catch::Contains("not the diff ID"));
}

TEST_CASE("an oci-checkpoint config that disagrees with its layers is refused",
          "[formats][oci-checkpoint][hostile]") {
    struct Case {
        const char* what;
        std::function<void(json&)> edit;
        const char* error;
    };
    const Case cases[] = {
        {"entries out of order", [](json& c) { std::swap(c["entries"][0], c["entries"][5]); },
         "the config lists next"},
        {"an entry the layer lacks",
         [](json& c) {
             c["entries"].push_back(
                 {{"path", "extra"}, {"type", "file"}, {"mtime", 0}, {"size", 1}, {"layer", 0}});
         },
         "ends before entry \"extra\""},
        {"a layer entry the config omits",
         [](json& c) { c["entries"].erase(c["entries"].begin() + 10); },
         "is not in the config's entry list"},
        {"a traversal in the entry list",
         [](json& c) { c["entries"][0]["path"] = "../config.dump"; }, "path traversal"},
        {"a layer given the wrong role", [](json& c) { c["layers"][0]["role"] = "pages"; },
         "not that of a pages layer"},
        {"a layer listed by no entry",
         [](json& c) {
             auto& e = c["entries"];
             e.erase(
                 std::remove_if(e.begin(), e.end(), [](const json& x) { return x["layer"] == 2; }),
                 e.end());
         },
         "layer 2 holds no listed entry"},
        {"an entry in another component's layer", [](json& c) { c["entries"][0]["layer"] = 1; },
         "belongs in a metadata layer"},
        {"two pages images in one layer", [](json& c) { c["entries"][8]["layer"] = 3; },
         "layer 3 breaks the split by component"},
        {"a size that is not the layer's", [](json& c) { c["entries"][0]["size"] = 1; },
         "the config lists next"},
        {"an unknown major version", [](json& c) { c["specVersion"] = "2.0.0"; },
         "is not supported"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        test::TempDir tmp;
        auto built = build(tmp.path, Engine::crio, "oci-checkpoint");
        auto name = edit_config(built.name, tmp.path, c.edit);
        CHECK_THROWS_WITH(read_back(name), Catch::Contains(c.error));
    }
}
