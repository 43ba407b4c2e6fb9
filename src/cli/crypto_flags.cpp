#include "cli/crypto_flags.hpp"

#include "cli/command.hpp"

#include <ckimg/error.hpp>

namespace ckimg::cli {

void add_encryption_flags(CLI::App* cmd, EncryptionFlags& flags) {
    cmd->add_option("--encryption-key", flags.keys,
                    "Encrypt layers for this recipient: jwe:PUBLIC-KEY.pem or pkcs7:CERT.pem "
                    "(repeatable)");
    cmd->add_option("--encrypt-layer", flags.layers,
                    "Encrypt only this layer (from 0; repeatable; default: every layer)");
}

EncryptionOptions to_encryption_options(const EncryptionFlags& flags) {
    EncryptionOptions options;
    for (const auto& key : flags.keys)
        options.add_recipient(key);
    if (!flags.layers.empty() && flags.keys.empty())
        throw UsageError("--encrypt-layer needs --encryption-key");
    options.layers = flags.layers;
    return options;
}

void add_decryption_flag(CLI::App* cmd, std::vector<std::string>& keys) {
    cmd->add_option("--decryption-key", keys,
                    "Private key for encrypted layers: KEY.pem, KEY.pem:file=PASSFILE or "
                    "KEY.pem:prompt (repeatable; a certificate given for pkcs7, as skopeo wants, "
                    "is accepted and not needed)");
}

DecryptionOptions to_decryption_options(const std::vector<std::string>& keys) {
    DecryptionOptions options;
    options.keys = keys;
    options.warn = [](const std::string& warning) { print_warnings({warning}); };
    return options;
}

} // namespace ckimg::cli
