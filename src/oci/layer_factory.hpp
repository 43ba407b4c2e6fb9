// The layer pipeline: tar bytes -> diff_id hash -> (other core) compress -> digest -> blob.
#pragma once

#include <ckimg/compression.hpp>
#include <ckimg/format.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/sink.hpp>

#include <string>

namespace ckimg {

class SinkLayerFactory : public LayerFactory {
public:
    SinkLayerFactory(ImageSink& sink, Compression compression, std::optional<int> level,
                     ProgressCallback progress = {})
        : sink_(sink), compression_(compression), level_(level), progress_(std::move(progress)) {}
    std::unique_ptr<Stream> begin_layer() override;
    std::optional<Layer> adopt_archive(CheckpointArchive& archive) override;

private:
    std::string next_layer_label();

    ImageSink& sink_;
    Compression compression_;
    std::optional<int> level_;
    ProgressCallback progress_;
    int layers_named_ = 0; // progress labels: "layer 1", "layer 2", ...
};

} // namespace ckimg
