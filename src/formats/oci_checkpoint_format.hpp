#pragma once

#include <ckimg/format.hpp>

namespace ckimg {

const Format& oci_checkpoint_format();

} // namespace ckimg
