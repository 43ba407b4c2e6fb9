// What every ImageSink can do with a blob whose digest is known: nothing to reuse, and writing it
// is streaming it through create_blob().
#include <ckimg/error.hpp>
#include <ckimg/sink.hpp>

#include <vector>

namespace ckimg {

namespace {

constexpr std::size_t kCopyBuffer = 1 << 20;

} // namespace

BlobReuse ImageSink::try_reuse_blob(const Descriptor& blob,
                                    const std::vector<std::string>& related) {
    (void)blob;
    (void)related;
    return BlobReuse::absent;
}

void ImageSink::write_blob(const BlobInput& blob, const BlobProgress& progress) {
    auto stream = blob.open();
    // The source can be read again: a writer that cannot keep the bytes re-reads its file, or
    // keeps a copy when there is none.
    BlobReplay replay;
    if (!blob.file.empty()) replay = [file = blob.file](const Digest&) { return file; };
    auto writer = create_blob(replay); // discarded unless committed
    std::vector<std::uint8_t> buffer(kCopyBuffer);
    std::uint64_t done = 0;
    for (;;) {
        auto n = stream->read(buffer.data(), buffer.size());
        if (n == 0) break; // the stream has verified size and digest
        writer->write(buffer.data(), n);
        done += n;
        if (progress) progress(done);
    }
    writer->finish();
    writer->commit(blob.descriptor.digest);
}

} // namespace ckimg
