#include <ckimg/context.hpp>
#include <ckimg/error.hpp>

namespace ckimg {

void CancelToken::throw_if_cancelled() const {
    if (cancelled()) throw Cancelled();
}

} // namespace ckimg
