// Progress reports of a long transfer (a blob pushed or pulled, a layer built), for a display.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace ckimg {

// Progress of one transfer, reported from whichever thread moves the bytes. `total` 0: not
// known in advance (a layer being built).
struct TransferProgress {
    std::string digest; // or a label, such as "layer 1"
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    bool finished = false;
};
using ProgressCallback = std::function<void(const TransferProgress&)>;

} // namespace ckimg
