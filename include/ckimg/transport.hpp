// Image locations on the command line: "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]".
#pragma once

#include <string>

namespace ckimg {

struct LocalTarget {
    enum class Kind { layout, archive } kind = Kind::layout;
    std::string path;
    std::string tag; // empty when not given
};

// Parses "oci:DIR[:TAG]" or "oci-archive:FILE[:TAG]"; throws UsageError otherwise.
LocalTarget parse_local_target(const std::string& text);
bool is_local_target(const std::string& text);

} // namespace ckimg
