// The one check of the cancel token that library loops make between units of work.
#pragma once

#include <ckimg/context.hpp>

namespace ckimg {

// Throws Cancelled once `cancel` (when not null) is cancelled.
inline void throw_if_cancelled(const CancelToken* cancel) {
    if (cancel != nullptr) cancel->throw_if_cancelled();
}

} // namespace ckimg
