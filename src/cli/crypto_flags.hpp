// The flags of layer encryption, shared by the commands that write images (--encryption-key,
// --encrypt-layer) and those that read them (--decryption-key).
#pragma once

#include <ckimg/encryption.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ckimg::cli {

struct EncryptionFlags {
    std::vector<std::string> keys;
    std::vector<int> layers;
};

void add_encryption_flags(CLI::App* cmd, EncryptionFlags& flags);
EncryptionOptions to_encryption_options(const EncryptionFlags& flags);

void add_decryption_flag(CLI::App* cmd, std::vector<std::string>& keys);
DecryptionOptions to_decryption_options(const std::vector<std::string>& keys);

} // namespace ckimg::cli
