// The layer pipeline: tar bytes -> diff_id hash -> (other core) compress [-> encrypt] -> digest
// -> blob.
#pragma once

#include <ckimg/compression.hpp>
#include <ckimg/format.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/sink.hpp>

#include <string>

namespace ckimg {

namespace crypto {
class LayerEncryptor;
}

class SinkLayerFactory : public LayerFactory {
public:
    SinkLayerFactory(ImageSink& sink, Compression compression, std::optional<int> level,
                     ProgressCallback progress = {},
                     const crypto::LayerEncryptor* encryptor = nullptr)
        : sink_(sink), compression_(compression), level_(level), progress_(std::move(progress)),
          encryptor_(encryptor) {}
    std::unique_ptr<Stream> begin_layer() override;
    std::unique_ptr<Stream> begin_descriptive_layer() override;
    std::optional<Layer> adopt_archive(CheckpointArchive& archive) override;

private:
    std::string next_layer_label();
    std::unique_ptr<Stream> begin(bool descriptive);

    ImageSink& sink_;
    Compression compression_;
    std::optional<int> level_;
    ProgressCallback progress_;
    const crypto::LayerEncryptor* encryptor_; // null: no layer is encrypted
    int layers_named_ = 0;                    // progress labels: "layer 1", "layer 2", ...
};

} // namespace ckimg
