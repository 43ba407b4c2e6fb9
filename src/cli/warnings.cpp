#include "cli/command.hpp"

#include <ckimg/source.hpp>

#include <iostream>

namespace ckimg::cli {

void print_warnings(const std::vector<std::string>& warnings) {
    for (const auto& warning : warnings)
        std::cerr << "ckimg: warning: " << printable(warning) << '\n';
}

Descriptor base_image_descriptor(const std::string& name, const RegistryOptions& registry,
                                 const Context& context) {
    auto source = open_image_source(name, registry, context);
    Descriptor root = source->root();
    return Descriptor{root.media_type, root.digest, root.size, {}, {}, {}};
}

} // namespace ckimg::cli
