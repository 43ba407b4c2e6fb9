// A registry repository as an ImageSource (image_source.cpp opens it for names that are not
// local). Private to the library.
#pragma once

#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include <memory>

namespace ckimg {

// Probes the registry, authorises for pull, and fetches the root manifest (by digest when the
// reference has one, checked against it). Throws RegistryError, InputError for a bad manifest.
std::unique_ptr<ImageSource> open_registry_source(const Reference& reference,
                                                  const RegistryOptions& options,
                                                  const Context& context);

} // namespace ckimg
