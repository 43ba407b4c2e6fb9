// The checkpoint archive reader on arbitrary bytes (plain, gzip or zstd tar: the filters are
// found by content), each entry's data read to its end and re-written by the layer's tar writer,
// as `ckimg build` does, then the metadata reported as `ckimg validate --json` does.
#include "fuzz_common.hpp"

#include <ckimg/checkpoint.hpp>

#include "oci/tar_writer.hpp"

namespace {

class NullSink : public ckimg::ByteSink {
public:
    void write(const std::uint8_t*, std::size_t size) override { bytes += size; }
    void finish() override {}
    std::uint64_t bytes = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ckimg::fuzz::MemoryFile file(data, size);
    ckimg::fuzz::expect_only_errors([&] {
        ckimg::CheckpointArchive archive(file.path());
        archive.set_max_size(64 << 20); // a 64 KiB input may declare terabytes
        NullSink sink;
        ckimg::TarWriter tar(sink);
        archive.scan([&](ckimg::ArchiveEntry& entry) { tar.add(entry); });
        tar.finish();
        (void)ckimg::to_json(archive.info()).dump();
    });
    return 0;
}
