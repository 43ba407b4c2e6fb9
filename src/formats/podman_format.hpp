#pragma once

#include <ckimg/format.hpp>

namespace ckimg {

const Format& podman_format();

} // namespace ckimg
