// The flags that sign what push and build --push upload (sigstore, see <ckimg/signature.hpp>).
#pragma once

#include <ckimg/digest.hpp>
#include <ckimg/reference.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/source.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ckimg::cli {

struct SignFlags {
    std::string private_key;
    std::string passphrase_file;
};

void add_sign_flags(CLI::App* cmd, SignFlags& flags);
// Signs `manifests` as `image` when --sign-by-sigstore-private-key was given.
void sign_if_asked(const SignFlags& flags, const Reference& image,
                   const std::vector<Digest>& manifests, const RegistryOptions& registry);
std::vector<Digest> manifests_to_sign(ImageSource& pushed);

} // namespace ckimg::cli
