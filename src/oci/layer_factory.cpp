#include "oci/layer_factory.hpp"

#include <ckimg/media_types.hpp>

#include "core/pipeline.hpp"
#include "crypto/layer_encryptor.hpp"
#include "oci/passthrough_layer.hpp"

namespace ckimg {

namespace {

// The layer's stages, from the tar to the blob file, each hand-off a thread of its own:
//   tar → diff ID → | compressor → [| encryption] → [| stored digest → blob]
// (uncompressed and encrypted: tar → diff ID → | encryption → | stored digest → blob).
class PipelineStream : public LayerFactory::Stream {
public:
    PipelineStream(ImageSink& sink, Compression compression, std::optional<int> level,
                   ProgressCallback progress, std::string label,
                   const crypto::LayerEncryptor* encryptor)
        : compression_(compression), blob_(sink.create_blob({})), stored_(*blob_) {
        ByteSink* next = &stored_;
        if (encryptor) {
            // Encryption's three SHA-256 passes (plain digest, HMAC, stored digest) are most of
            // its cost; the stored digest and the write run on one more thread so that the
            // scheduler can spread them. Measured with interleaved runs, a few points of gain
            // and smaller than the run-to-run noise: see docs/benchmarks.md.
            to_store_ = std::make_unique<ThreadedSink>(stored_);
            encrypt_ = std::make_unique<crypto::LayerEncryptor::Stage>(
                *encryptor, *to_store_,
                compression == Compression::none
                    ? crypto::LayerEncryptor::Stage::PlainDigest::given
                    : crypto::LayerEncryptor::Stage::PlainDigest::hashed);
            next = encrypt_.get();
            if (compression != Compression::none) {
                to_encrypt_ = std::make_unique<ThreadedSink>(*encrypt_);
                next = to_encrypt_.get();
            }
        }
        compressor_ = make_compressor(compression, level, *next);
        handoff_ = std::make_unique<ThreadedSink>(*compressor_);
        uncompressed_ = std::make_unique<HashingSink>(*handoff_);
        counted_ =
            std::make_unique<ProgressSink>(*uncompressed_, std::move(progress), std::move(label));
    }

    ByteSink& tar() override { return *counted_; }

    Layer finish() override {
        counted_->finish(); // flows through every stage down to the blob file
        blob_->commit(stored_.digest());
        Layer layer;
        layer.descriptor.media_type = layer_media_type(compression_);
        layer.descriptor.digest = stored_.digest();
        layer.descriptor.size = static_cast<std::int64_t>(stored_.size());
        layer.diff_id = uncompressed_->digest();
        if (encrypt_) encrypt_->describe(layer.descriptor, layer.diff_id);
        return layer;
    }

private:
    // Declared from the blob back to the tar: destroyed tar first, so that every thread stops
    // before the stage it feeds goes away.
    Compression compression_;
    std::unique_ptr<BlobWriter> blob_;
    HashingSink stored_;
    std::unique_ptr<ThreadedSink> to_store_;                 // only when encrypted
    std::unique_ptr<crypto::LayerEncryptor::Stage> encrypt_; // null: stored as compressed
    std::unique_ptr<ThreadedSink> to_encrypt_;               // encrypted and compressed
    std::unique_ptr<ByteSink> compressor_;
    std::unique_ptr<ThreadedSink> handoff_;
    std::unique_ptr<HashingSink> uncompressed_;
    std::unique_ptr<ProgressSink> counted_;
};

} // namespace

std::string SinkLayerFactory::next_layer_label() {
    return "layer " + std::to_string(++layers_named_);
}

std::unique_ptr<LayerFactory::Stream> SinkLayerFactory::begin_layer() {
    return begin(false);
}

std::unique_ptr<LayerFactory::Stream> SinkLayerFactory::begin_descriptive_layer() {
    return begin(true);
}

std::unique_ptr<LayerFactory::Stream> SinkLayerFactory::begin(bool descriptive) {
    int index = layers_named_; // from 0, as --encrypt-layer counts
    const crypto::LayerEncryptor* encryptor =
        encryptor_ != nullptr && encryptor_->encrypts(index, -1, descriptive) ? encryptor_
                                                                              : nullptr;
    return std::make_unique<PipelineStream>(sink_, compression_, level_, progress_,
                                            next_layer_label(), encryptor);
}

std::optional<Layer> SinkLayerFactory::adopt_archive(CheckpointArchive& archive) {
    // The shared-storage shortcut stores the archive's bytes as they are: not for a layer that
    // is to be encrypted.
    if (compression_ == Compression::none && encryptor_ != nullptr &&
        encryptor_->encrypts(layers_named_, -1, false))
        return passthrough_compressed(archive, [this] { return begin_layer(); });
    if (compression_ == Compression::none)
        return passthrough_layer(archive, sink_, progress_, next_layer_label());
    return passthrough_compressed(archive, [this] { return begin_layer(); });
}

} // namespace ckimg
