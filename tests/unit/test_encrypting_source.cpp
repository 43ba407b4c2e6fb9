// encrypting_source: an image encrypted as ocicrypt does and decrypted back by decrypting_source
// is the same image (same root digest); which layers it chooses (--encrypt-layer, the
// oci-checkpoint metadata layer, layers already encrypted); Docker manifests, cancellation.
#include <ckimg/copy.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/error.hpp>
#include <ckimg/format.hpp>
#include <ckimg/image.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include "formats/oci_checkpoint_config.hpp"

#include <catch2/catch.hpp>

#include "test_keys.hpp"
#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;
using namespace ckimg;
using nlohmann::json;

namespace {

const std::string kMetadata =
    oci_checkpoint::layer_media_type(oci_checkpoint::Role::metadata, Compression::gzip);
const std::string kCriu =
    oci_checkpoint::layer_media_type(oci_checkpoint::Role::criu, Compression::gzip);
const std::string kPages =
    oci_checkpoint::layer_media_type(oci_checkpoint::Role::pages, Compression::gzip);

json descriptor(const Descriptor& d) {
    json out = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
    if (!d.annotations.empty()) out["annotations"] = to_json(d.annotations);
    return out;
}

Descriptor put_manifest(OciLayout& layout, const std::string& media_type, const Descriptor& config,
                        const std::vector<Descriptor>& layers, const json& extra = json::object()) {
    json manifest = {
        {"schemaVersion", 2}, {"mediaType", media_type}, {"config", descriptor(config)}};
    manifest["layers"] = json::array();
    for (const auto& layer : layers)
        manifest["layers"].push_back(descriptor(layer));
    manifest.update(extra);
    return layout.put_blob(media_type, canonical_json(manifest));
}

// An index over an oci-checkpoint manifest (metadata, criu, pages) and a plain OCI manifest (two
// layers, one of them the checkpoint's criu layer), every document as ckimg writes it.
struct Sample {
    std::string name; // oci:DIR:v1
    Descriptor root;
    Descriptor metadata, criu, pages, other;
};

Sample make_sample(const fs::path& dir) {
    auto layout = OciLayout::open(dir, true);
    Sample s;
    s.metadata = layout->put_blob(kMetadata, std::string(3000, 'm'));
    s.criu = layout->put_blob(kCriu, std::string(5000, 'c'));
    s.pages = layout->put_blob(kPages, std::string(3 << 20, 'p')); // over one read
    s.other = layout->put_blob(media_type::oci_layer_gzip, "other layer");
    s.other.annotations = {{"org.example.note", "kept"}};
    auto config = layout->put_blob(oci_checkpoint::kConfigMediaType, "{}");
    auto image_config =
        layout->put_blob(media_type::oci_config, R"({"architecture":"arm64","os":"linux"})");
    auto checkpoint =
        put_manifest(*layout, media_type::oci_manifest, config, {s.metadata, s.criu, s.pages},
                     {{"artifactType", oci_checkpoint::kArtifactType}});
    auto plain = put_manifest(*layout, media_type::oci_manifest, image_config, {s.criu, s.other});
    json index = {{"schemaVersion", 2},
                  {"mediaType", media_type::oci_index},
                  {"manifests", json::array({descriptor(checkpoint), descriptor(plain)})}};
    s.root = layout->put_blob(media_type::oci_index, canonical_json(index));
    layout->tag(s.root, "v1");
    s.name = "oci:" + dir.string() + ":v1";
    return s;
}

struct Keys {
    std::string rsa_pub, rsa, ec_pub, ec;
};

Keys make_keys(const fs::path& dir) {
    auto rsa = test::rsa_key();
    auto ec = test::ec_key();
    Keys keys{(dir / "rsa.pub").string(), (dir / "rsa.pem").string(), (dir / "ec.pub").string(),
              (dir / "ec.pem").string()};
    test::write_file(keys.rsa_pub, test::pem_public(rsa.get()), 0644);
    test::write_file(keys.rsa, test::pem_private(rsa.get(), false), 0600);
    test::write_file(keys.ec_pub, test::pem_public(ec.get()), 0644);
    test::write_file(keys.ec, test::pem_private(ec.get(), true), 0600);
    return keys;
}

std::unique_ptr<ImageSource> open(const std::string& name) {
    return open_image_source(name, RegistryOptions{});
}

EncryptionOptions to(const std::string& recipient, std::vector<int> layers = {}) {
    EncryptionOptions options;
    options.recipients = {recipient};
    options.layers = std::move(layers);
    return options;
}

DecryptionOptions with(const std::string& key) {
    DecryptionOptions options;
    options.keys = {key};
    options.warn = [](const std::string& warning) { FAIL("warned: " << warning); };
    return options;
}

// Each manifest's layers, in the graph's order (children first): the checkpoint, then the plain
// image.
std::vector<std::vector<Descriptor>> layers_of(ImageSource& source) {
    std::vector<std::vector<Descriptor>> out;
    for (const auto& node : read_image_graph(source).manifests) {
        if (node.is_index()) continue;
        out.emplace_back(node.blobs.begin() + 1, node.blobs.end());
    }
    return out;
}

std::vector<bool> encrypted(const std::vector<Descriptor>& layers) {
    std::vector<bool> out;
    for (const auto& layer : layers)
        out.push_back(is_encrypted_media_type(layer.media_type));
    return out;
}

CopyResult copy_to(ImageSource& source, const fs::path& dir) {
    auto layout = OciLayout::open(dir, true);
    CopyOptions options;
    options.tags = {"v1"};
    return copy_image(source, *layout, options);
}

// Points TMPDIR at `dir` (where the spool goes) while it lives.
class TmpdirOverride {
public:
    explicit TmpdirOverride(const fs::path& dir) {
        const char* old = std::getenv("TMPDIR");
        if (old != nullptr) saved_ = old;
        had_ = old != nullptr;
        ::setenv("TMPDIR", dir.c_str(), 1);
    }
    ~TmpdirOverride() {
        if (had_)
            ::setenv("TMPDIR", saved_.c_str(), 1);
        else
            ::unsetenv("TMPDIR");
    }
    TmpdirOverride(const TmpdirOverride&) = delete;
    TmpdirOverride& operator=(const TmpdirOverride&) = delete;

private:
    std::string saved_;
    bool had_ = false;
};

} // namespace

TEST_CASE("an encrypted copy decrypts to the identical image", "[crypto][encrypting_source]") {
    test::TempDir tmp;
    auto keys = make_keys(tmp.path);
    auto sample = make_sample(tmp.path / "plain");

    auto enc = encrypting_source(open(sample.name), to(keys.rsa_pub));
    CHECK(enc->root().digest != sample.root.digest);
    auto layers = layers_of(*enc);
    REQUIRE(layers.size() == 2);
    // Every layer but the checkpoint's metadata layer; the shared criu layer encrypted once.
    CHECK(encrypted(layers[0]) == std::vector<bool>{false, true, true});
    CHECK(encrypted(layers[1]) == std::vector<bool>{true, true});
    CHECK(layers[0][0].digest == sample.metadata.digest);
    CHECK(layers[0][1].digest == layers[1][0].digest);
    CHECK(layers[0][1].digest != sample.criu.digest);
    CHECK(layers[0][2].size == sample.pages.size); // CTR keeps the length
    CHECK(layers[0][2].media_type == kPages + "+encrypted");
    CHECK(layers[1][1].annotations.at("org.example.note") == "kept");
    CHECK(layers[1][1].annotations.count("org.opencontainers.image.enc.keys.jwe") == 1);
    CHECK(layers[1][1].annotations.count("org.opencontainers.image.enc.pubopts") == 1);
    // Configs unchanged.
    auto plain_graph = read_image_graph(*open(sample.name));
    auto enc_graph = read_image_graph(*enc);
    CHECK(enc_graph.manifests[0].blobs[0].digest == plain_graph.manifests[0].blobs[0].digest);

    // Stored, then read back through decrypting_source: the same root, blobs verified.
    copy_to(*enc, tmp.path / "enc");
    auto stored = open("oci:" + (tmp.path / "enc").string() + ":v1");
    CHECK(stored->root().digest == enc->root().digest);
    auto dec = decrypting_source(std::move(stored), with(keys.rsa));
    CHECK(dec->root().digest == sample.root.digest);
    auto copied = copy_to(*dec, tmp.path / "dec");
    CHECK(copied.root.digest == sample.root.digest);
    CHECK(fs::file_size(tmp.path / "dec/blobs/sha256" / sample.pages.digest.hex()) ==
          static_cast<std::uintmax_t>(sample.pages.size));

    SECTION("the wrong key opens nothing") {
        auto again = open("oci:" + (tmp.path / "enc").string() + ":v1");
        CHECK_THROWS_WITH(decrypting_source(std::move(again), with(keys.ec)),
                          Catch::Contains("none of the decryption keys"));
    }
    SECTION("re-encrypted for another recipient: decrypt, then encrypt") {
        auto rekeyed = encrypting_source(
            decrypting_source(open("oci:" + (tmp.path / "enc").string() + ":v1"), with(keys.rsa)),
            to(keys.ec_pub));
        copy_to(*rekeyed, tmp.path / "rekeyed");
        auto back = decrypting_source(open("oci:" + (tmp.path / "rekeyed").string() + ":v1"),
                                      with(keys.ec));
        CHECK(back->root().digest == sample.root.digest);
    }
}

TEST_CASE("encrypting_source chooses layers as build does", "[crypto][encrypting_source]") {
    test::TempDir tmp;
    auto keys = make_keys(tmp.path);
    auto sample = make_sample(tmp.path / "plain");

    SECTION("--encrypt-layer names layers of each manifest, from the end when negative") {
        auto last = encrypting_source(open(sample.name), to(keys.ec_pub, {-1}));
        auto layers = layers_of(*last);
        CHECK(encrypted(layers[0]) == std::vector<bool>{false, false, true});
        CHECK(encrypted(layers[1]) == std::vector<bool>{false, true});
        // The shared criu layer: encrypted where chosen (0 of the plain image), the checkpoint's
        // stays readable (its 1 is not chosen).
        auto first = encrypting_source(open(sample.name), to(keys.ec_pub, {0}));
        layers = layers_of(*first);
        // Named explicitly, the metadata layer is encrypted too, as build --encrypt-layer 0 does.
        CHECK(encrypted(layers[0]) == std::vector<bool>{true, false, false});
        CHECK(encrypted(layers[1]) == std::vector<bool>{true, false});
        CHECK(layers[0][1].digest == sample.criu.digest);
    }
    SECTION("layers already encrypted stay as they are") {
        auto once = encrypting_source(open(sample.name), to(keys.rsa_pub, {1}));
        auto first = layers_of(*once);
        copy_to(*once, tmp.path / "once");
        auto twice =
            encrypting_source(open("oci:" + (tmp.path / "once").string() + ":v1"), to(keys.ec_pub));
        auto second = layers_of(*twice);
        CHECK(encrypted(second[0]) == std::vector<bool>{false, true, true});
        CHECK(second[0][1].digest == first[0][1].digest); // not encrypted a second time
        CHECK(second[0][1].annotations == first[0][1].annotations);
        CHECK(second[0][2].digest != sample.pages.digest);
        // Nothing left to choose: the image is unchanged.
        auto thrice = encrypting_source(open("oci:" + (tmp.path / "once").string() + ":v1"),
                                        to(keys.ec_pub, {1}));
        CHECK(thrice->root().digest == once->root().digest);
    }
    SECTION("the metadata rule is the format's") {
        const Format& format = find_format("oci-checkpoint");
        Descriptor layer;
        for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
            layer.media_type =
                oci_checkpoint::layer_media_type(oci_checkpoint::Role::metadata, compression);
            CHECK(format.is_descriptive_layer(layer));
            layer.media_type += "+encrypted";
            CHECK(format.is_descriptive_layer(layer));
            layer.media_type =
                oci_checkpoint::layer_media_type(oci_checkpoint::Role::criu, compression);
            CHECK_FALSE(format.is_descriptive_layer(layer));
        }
        layer.media_type = media_type::oci_layer_gzip;
        CHECK_FALSE(format.is_descriptive_layer(layer));
        CHECK_FALSE(find_format("podman").is_descriptive_layer(layer));
    }
}

TEST_CASE("encrypting_source refuses Docker manifests and stops when cancelled",
          "[crypto][encrypting_source]") {
    test::TempDir tmp;
    auto keys = make_keys(tmp.path);
    auto spool = tmp.path / "tmp";
    fs::create_directory(spool);
    TmpdirOverride tmpdir(spool);

    SECTION("Docker schema 2") {
        auto layout = OciLayout::open(tmp.path / "docker", true);
        auto config = layout->put_blob("application/vnd.docker.container.image.v1+json",
                                       "{\"os\":\"linux\"}");
        auto layer = layout->put_blob("application/vnd.docker.image.rootfs.diff.tar.gzip", "l");
        auto manifest = put_manifest(*layout, media_type::docker_manifest, config, {layer});
        layout->tag(manifest, "v1");
        CHECK_THROWS_WITH(encrypting_source(open("oci:" + (tmp.path / "docker").string() + ":v1"),
                                            to(keys.rsa_pub)),
                          Catch::Contains("Docker manifest") && Catch::Contains("layer 1"));
    }
    SECTION("cancelled") {
        auto sample = make_sample(tmp.path / "plain");
        CancelToken cancel;
        cancel.cancel();
        Context context;
        context.cancel = &cancel;
        CHECK_THROWS_AS(encrypting_source(open(sample.name), to(keys.rsa_pub), context), Cancelled);
    }
    SECTION("progress, and the spool removed with the source") {
        auto sample = make_sample(tmp.path / "plain");
        std::set<std::string> finished;
        Context context;
        context.progress = [&](const TransferProgress& p) {
            if (p.finished) finished.insert(p.digest);
        };
        auto enc = encrypting_source(open(sample.name), to(keys.rsa_pub), context);
        CHECK(finished.size() == 3); // criu (once), pages, other
        CHECK(std::distance(fs::directory_iterator(spool), fs::directory_iterator()) == 1);
        enc.reset();
    }
    CHECK(std::distance(fs::directory_iterator(spool), fs::directory_iterator()) == 0);
}
