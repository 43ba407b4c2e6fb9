// The tee of build -o DIR --push REF: every byte to each sink, blobs committed in the sinks'
// order, and a later sink's writer finding the blob to read again in the earlier sink's file.
#include <ckimg/digest.hpp>
#include <ckimg/layout.hpp>

#include "oci/blob_file.hpp"
#include "oci/tee_sink.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace ckimg;

namespace {

std::string file_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A sink whose writer keeps nothing and, at commit, reads the blob again through its replay,
// as a broken streamed upload does.
class ReplayingSink : public ImageSink {
public:
    struct Seen {
        std::string written;
        std::string replayed; // the replay file's content at commit time
        bool had_replay = false;
    };

    std::unique_ptr<BlobWriter> create_blob(const BlobReplay& replay) override {
        class Writer : public BlobWriter {
        public:
            Writer(BlobReplay replay, Seen& seen) : replay_(std::move(replay)), seen_(seen) {}
            void write(const std::uint8_t* data, std::size_t size) override {
                seen_.written.append(reinterpret_cast<const char*>(data), size);
            }
            void finish() override {}
            void commit(const Digest& digest) override {
                seen_.had_replay = static_cast<bool>(replay_);
                if (!replay_) return;
                auto file = replay_(digest);
                if (!file.empty()) seen_.replayed = file_text(file);
            }

        private:
            BlobReplay replay_;
            Seen& seen_;
        };
        return std::make_unique<Writer>(replay, seen);
    }
    Descriptor put_blob(const std::string& media_type, std::string_view bytes) override {
        return Descriptor{
            media_type, sha256_of(bytes), static_cast<std::int64_t>(bytes.size()), {}, {}, {}};
    }
    void tag(const Descriptor&, const std::string&) override {}
    void commit() override {}
    std::string describe(const std::string& tag) const override { return "replaying:" + tag; }

    Seen seen;
};

} // namespace

TEST_CASE("tee: the later sink reads the blob again from the earlier sink's committed file",
          "[tee]") {
    test::TempDir tmp;
    auto layout = OciLayout::open(tmp.path / "img", true);
    ReplayingSink upload;
    TeeSink tee({layout.get(), &upload});
    const std::string bytes(100000, 'b');
    auto writer = tee.create_blob({});
    writer->write(bytes);
    writer->finish();
    writer->commit(sha256_of(bytes));
    CHECK(upload.seen.written == bytes);
    REQUIRE(upload.seen.had_replay);
    // Committed in order: the layout's blob is in place when the upload's writer commits.
    CHECK(upload.seen.replayed == bytes);
    CHECK(layout->has_blob(sha256_of(bytes)));
}

TEST_CASE("tee: a whole file given to the tee reaches every sink, and the producer's replay "
          "serves a sink with nothing before it",
          "[tee]") {
    test::TempDir tmp;
    auto source = tmp.path / "archive.tar";
    const std::string bytes(70000, 'a');
    std::ofstream(source, std::ios::binary) << bytes;
    auto layout = OciLayout::open(tmp.path / "img", true);
    ReplayingSink first;
    TeeSink tee({&first, layout.get()});
    auto writer = tee.create_blob([&](const Digest&) { return source; });
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    write_file_into(*writer, fd, source.string(), bytes.size());
    ::close(fd);
    writer->finish();
    writer->commit(sha256_of(bytes));
    CHECK(first.seen.written == bytes);
    CHECK(first.seen.replayed == bytes);
    CHECK(file_text(layout->blob_path(sha256_of(bytes))) == bytes);
}
