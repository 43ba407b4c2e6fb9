// The flags that sign what push, copy to a registry and build --push upload (sigstore,
// <ckimg/signature.hpp>).
#pragma once

#include <CLI/CLI.hpp>
#include <ckimg/context.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>

#include <string>

namespace ckimg::cli {

struct SignFlags {
    std::string private_key;
    std::string passphrase_file;
};

void add_sign_flags(CLI::App& cmd, SignFlags& flags);
// Signs the pushed root as `target` names it when --sign-by-sigstore-private-key was given.
void sign_if_asked(const SignFlags& flags, const Reference& target, const Digest& root,
                   const RegistryOptions& registry, const Context& context);
// UsageError when the flags ask for a signature where none can be stored (`why`: "needs
// --push", "needs a registry destination").
void check_no_signing(const SignFlags& flags, const std::string& why);

} // namespace ckimg::cli
