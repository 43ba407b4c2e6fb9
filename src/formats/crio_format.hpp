#pragma once

#include <ckimg/format.hpp>

namespace ckimg {

const Format& crio_format();

} // namespace ckimg
