// ckimg checkpoint's own checks: the NAMESPACE/POD/CONTAINER argument, and the kubelet's archive
// opened once and checked on the descriptor, so that what the path names later does not matter.
#include "test_support.hpp"

#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
using ckimg::CheckpointFile;
using ckimg::InputError;
using ckimg::IoError;
using ckimg::PodContainer;
using ckimg::UsageError;

namespace {

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A checkpoints directory holding checkpoint-a.tar ("archive"), next to a file "secret" that a
// hostile answer would point at.
struct CheckpointsDir {
    ckimg::test::TempDir tmp;
    fs::path dir = tmp.path / "checkpoints";
    std::string d = dir.string();

    CheckpointsDir() {
        fs::create_directory(dir);
        write_file(dir / "checkpoint-a.tar", "archive");
        write_file(tmp.path / "secret", "secret");
    }
};

} // namespace

TEST_CASE("NAMESPACE/POD/CONTAINER names are Kubernetes names") {
    auto target = PodContainer::parse("default/counters-7d9f.x1/counter");
    CHECK(target.pod_namespace == "default");
    CHECK(target.pod == "counters-7d9f.x1");
    CHECK(target.container == "counter");
    CHECK(target.str() == "default/counters-7d9f.x1/counter");
    for (const char* bad : {"default/counters", "a/b/c/d", "/b/c", "a//c", "a/b/", "a/../c",
                            "a/b/..", "A/b/c", "a/b?x=1/c", "a/b/c%2f", "a/.b/c", "a/b/c-"})
        CHECK_THROWS_AS(PodContainer::parse(bad), UsageError);
    CHECK_THROWS_AS(PodContainer::parse(std::string(64, 'a') + "/b/c"), UsageError);
}

TEST_CASE("the kubelet's archive: one name directly in the checkpoints directory") {
    CheckpointsDir fixture;
    const auto& [tmp, dir, d] = fixture;
    CHECK_NOTHROW(CheckpointFile(d + "/checkpoint-a.tar", d));
    CHECK_NOTHROW(CheckpointFile(d + "/checkpoint-a.tar", d + "/")); // --checkpoints-dir DIR/
    CHECK_THROWS_AS(CheckpointFile((tmp.path / "secret").string(), d), InputError);
    CHECK_THROWS_AS(CheckpointFile(d + "/../secret", d), InputError);
    CHECK_THROWS_AS(CheckpointFile(d + "/..", d), InputError);
    CHECK_THROWS_AS(CheckpointFile(d + "/", d), InputError);
    CHECK_THROWS_AS(CheckpointFile(d + "x/checkpoint-a.tar", d), InputError); // a sibling dir
    CHECK_THROWS_AS(CheckpointFile(d + "/missing.tar", d), IoError);
    CHECK_THROWS_AS(CheckpointFile(d + std::string("/checkpoint-a.tar\0x", 19), d), InputError);

    fs::create_symlink(tmp.path / "secret", dir / "link.tar");
    CHECK_THROWS_WITH(CheckpointFile(d + "/link.tar", d), Catch::Contains("symbolic link"));
    REQUIRE(::mkfifo((dir / "fifo.tar").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(CheckpointFile(d + "/fifo.tar", d), Catch::Contains("a FIFO"));
    fs::create_directory(dir / "dir.tar");
    CHECK_THROWS_WITH(CheckpointFile(d + "/dir.tar", d), Catch::Contains("a directory"));
    fs::create_hard_link(tmp.path / "secret", dir / "hard.tar");
    CHECK_THROWS_WITH(CheckpointFile(d + "/hard.tar", d), Catch::Contains("2 hard links"));
}

TEST_CASE("the kubelet's archive is read from the checked descriptor, not its name again") {
    CheckpointsDir fixture;
    const auto& [tmp, dir, d] = fixture;
    CheckpointFile file(d + "/checkpoint-a.tar", d);
    // Swapped after the check: the name now is a symlink to the secret.
    fs::remove(dir / "checkpoint-a.tar");
    fs::create_symlink(tmp.path / "secret", dir / "checkpoint-a.tar");
    CHECK(read_file(file.descriptor_path()) == "archive");
    // --rm removes the name only while it still is the file that was read.
    CHECK_THROWS_WITH(file.remove(), Catch::Contains("now is another file"));
    CHECK(fs::is_symlink(dir / "checkpoint-a.tar"));
    CHECK(read_file((tmp.path / "secret").string()) == "secret");
}

TEST_CASE("the archive it read is removed with --rm") {
    ckimg::test::TempDir tmp;
    write_file(tmp.path / "checkpoint-a.tar", "archive");
    const std::string d = tmp.path.string();
    CheckpointFile file(d + "/checkpoint-a.tar", d);
    file.remove();
    CHECK_FALSE(fs::exists(tmp.path / "checkpoint-a.tar"));
}
