// What ckimg reads from real Podman 4.3 / CRIU 4.2 output (tests/fixtures/podman-4.3-criu-4.2,
// see its README): the facts must equal what Podman recorded, not what tools/gen imitates.
#include <ckimg/checkpoint.hpp>
#include <ckimg/error.hpp>
#include <ckimg/inspect.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace ckimg;

namespace {

std::string fixture(const std::string& dir, const std::string& name) {
    return std::string(CKIMG_FIXTURES_DIR) + "/" + dir + "/" + name;
}

struct RealArchive {
    const char* dir;
    const char* file;
    const char* image;
    const char* created;      // config.dump's createdTime: creation, or the last restore
    const char* checkpointed; // the CRIU images' latest modification time
    std::uint64_t entries;
    std::uint64_t pages;
};

// What each archive holds, read with Python's tarfile and from config.dump (see the READMEs).
const RealArchive kArchives[] = {
    {"podman-4.3-criu-4.2", "ck-podman-none.tar", "localhost/bb:latest",
     "2026-12-02T00:56:05.02221864Z", "2026-12-02T00:56:14Z", 38, 135168},
    {"podman-4.3-criu-4.2", "ck-podman-gzip.tar.gz", "localhost/bb:latest",
     "2026-12-02T00:56:14.993569901Z", "2026-12-02T00:56:19Z", 38, 135168},
    {"podman-4.3-criu-4.2", "ck-podman.tar.zst", "localhost/bb:latest",
     "2026-12-02T00:55:48.632064309Z", "2026-12-02T00:55:56Z", 38, 139264},
    {"podman-5.4-criu-4.1", "ck-podman-none.tar", "localhost/realenv-base:latest",
     "2026-12-02T03:24:23.436351314Z", "2026-12-02T03:24:30Z", 37, 143360},
    {"podman-5.4-criu-4.1", "ck-podman-gzip.tar.gz", "localhost/realenv-base:latest",
     "2026-12-02T03:24:23.436351314Z", "2026-12-02T03:24:34Z", 42, 139264},
    {"podman-5.4-criu-4.1", "ck-podman.tar.zst", "localhost/realenv-base:latest",
     "2026-12-02T03:24:23.436351314Z", "2026-12-02T03:24:39Z", 47, 139264},
};

} // namespace

TEST_CASE("real Podman archives: names, times and sizes", "[fixtures]") {
    for (const auto& real : kArchives) {
        INFO(real.dir << "/" << real.file);
        auto info = validate_checkpoint(fixture(real.dir, real.file));
        CHECK(info.engine == Engine::podman);
        CHECK(info.container_name == "ctr1");
        CHECK(info.rootfs_image_name == real.image);
        CHECK(info.runtime == "runc");
        CHECK(info.host_arch == "amd64");
        CHECK(info.entry_count == real.entries);
        CHECK(info.pages_size == real.pages);
        // Podman writes no checkpoint time into the archive: it is the CRIU images' time, not
        // createdTime (seconds to minutes earlier, the container's creation or last restore).
        CHECK(info.created_time == real.created);
        CHECK(info.checkpointed_time == real.checkpointed);
        CHECK(info.checkpointed_source == "CRIU image times");
    }
}

TEST_CASE("Podman's own checkpoint image, as podman save --format oci-archive wrote it",
          "[fixtures]") {
    InspectOptions options;
    for (const char* dir : {"podman-4.3-criu-4.2", "podman-5.4-criu-4.1"}) {
        INFO(dir);
        auto file = fixture(dir, "img-podman-native-ctr2.oci.tar");
        // podman save records the full name as the ref.name; containers/image's rule reads it.
        for (const auto& target : {"oci-archive:" + file,
                                   "oci-archive:" + file + ":localhost/ctr2-podman-ckpt:latest"}) {
            INFO(target);
            auto report = inspect(target, options);
            REQUIRE(report.image);
            CHECK(report.image->format == "podman");
            REQUIRE(report.checkpoint);
            CHECK(report.checkpoint->container_name == "ctr2");
            CHECK(report.checkpoint->runtime == "runc");
        }
        CHECK_THROWS_AS(inspect("oci-archive:" + file + ":localhost/other:latest", options),
                        InputError);
    }
}
