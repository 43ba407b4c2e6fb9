// The docker credential helper protocol: `docker-credential-NAME get` reads a server URL on
// stdin and prints {"ServerURL","Username","Secret"} on stdout.
#pragma once

#include "registry/auth_config.hpp"

#include <optional>
#include <string>

namespace ckimg::registry {

// Runs the helper found on $PATH. Returns nullopt when it has no credentials for the server;
// throws RegistryError when it cannot be run or fails otherwise. A "<token>" username means the
// secret is an identity token.
std::optional<Credentials> credential_helper_get(const std::string& helper,
                                                 const std::string& server_url);

} // namespace ckimg::registry
