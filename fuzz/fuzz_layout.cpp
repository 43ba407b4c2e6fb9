// The OCI layout readers (the layout source's walk from index.json through indexes and
// manifests to blobs, which push, pull and copy share, and the layout sink's own index reader) on a
// layout made from the input:
//   index.json NUL manifest NUL config
// The manifest is stored under its digest, and "sha256:aaaa...a" (64 a) in index.json is
// replaced by that digest; likewise the config and "sha256:bbbb...b" in the manifest. So the
// fuzzer reaches past the digest checks, which it could never satisfy by chance.
#include "fuzz_common.hpp"

#include <ckimg/digest.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

fs::path layout_dir;

void write_file(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string substitute(std::string_view text, char placeholder, const ckimg::Digest& digest) {
    std::string out(text);
    const std::string marker = "sha256:" + std::string(64, placeholder);
    for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker, at + 1))
        out.replace(at, marker.size(), digest.str());
    return out;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    auto base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "ckimg-fuzz-layout-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    layout_dir = pattern;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto rest = ckimg::fuzz::as_text(data, size);
    auto index_part = ckimg::fuzz::take_part(rest);
    auto manifest_part = ckimg::fuzz::take_part(rest);
    auto config = rest;
    auto config_digest = ckimg::sha256_of(config);
    auto manifest = substitute(manifest_part, 'b', config_digest);
    auto manifest_digest = ckimg::sha256_of(manifest);
    auto index = substitute(index_part, 'a', manifest_digest);

    std::error_code ignored;
    fs::remove_all(layout_dir / "blobs", ignored);
    fs::create_directories(layout_dir / "blobs" / "sha256");
    write_file(layout_dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    write_file(layout_dir / "index.json", index);
    write_file(layout_dir / "blobs" / "sha256" / manifest_digest.hex(), manifest);
    write_file(layout_dir / "blobs" / "sha256" / config_digest.hex(), config);

    for (const char* tag : {"", ":latest"}) {
        ckimg::fuzz::expect_only_errors([&] {
            auto source = ckimg::open_image_source("oci:" + layout_dir.string() + tag,
                                                   ckimg::RegistryOptions{});
            (void)ckimg::read_image_graph(*source);
        });
    }
    ckimg::fuzz::expect_only_errors([&] {
        auto layout = ckimg::OciLayout::open(layout_dir, false);
        for (const auto& entry : layout->entries())
            ckimg::fuzz::expect_only_errors([&] { (void)layout->read_blob(entry.digest); });
        (void)layout->resolve("latest");
    });
    return 0;
}
