// The one check of the SIGINT/SIGTERM flag that library loops make between units of work.
#pragma once

#include <ckimg/error.hpp>

#include <atomic>

namespace ckimg {

// Throws Error("interrupted") once `cancel` (when not null) is set.
inline void throw_if_cancelled(const std::atomic<bool>* cancel) {
    if (cancel != nullptr && cancel->load()) throw Error("interrupted");
}

} // namespace ckimg
