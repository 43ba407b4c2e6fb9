// ckimg generate-sigstore-key and ckimg verify; the signing flags of push and build --push.
#include "cli/build_flags.hpp"
#include "cli/command.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/signature.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ckimg::cli {

void add_sign_flags(CLI::App& cmd, SignFlags& flags) {
    cmd.add_option("--sign-by-sigstore-private-key", flags.private_key,
                   "Sign the pushed image with this cosign private key (sigstore signature)");
    cmd.add_option("--sign-passphrase-file", flags.passphrase_file,
                   "Read the signing key's passphrase from this file (default: the terminal)");
}

void check_no_signing(const SignFlags& flags, const std::string& why) {
    if (!flags.private_key.empty()) throw UsageError("--sign-by-sigstore-private-key " + why);
    if (!flags.passphrase_file.empty()) throw UsageError("--sign-passphrase-file " + why);
}

void sign_if_asked(const SignFlags& flags, const Reference& target, const Digest& root,
                   const RegistryOptions& registry, const Context& context) {
    if (flags.private_key.empty()) {
        if (!flags.passphrase_file.empty())
            throw UsageError("--sign-passphrase-file needs --sign-by-sigstore-private-key");
        return;
    }
    sign_image(target, root, flags.private_key, flags.passphrase_file, registry, context);
}

namespace {

std::string passphrase_of(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw InputError(file + ": cannot read the passphrase file");
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw IoError(path + ": cannot create: " + std::strerror(errno));
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        ::unlink(path.c_str());
        throw IoError(path + ": cannot write");
    }
}

struct KeyFlags {
    std::string prefix;
    std::string passphrase_file;
};

struct VerifyFlags {
    std::string image;
    std::string key;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
};

} // namespace

void add_sign_commands(CLI::App& app, Invocation& invocation) {
    auto keys = std::make_shared<KeyFlags>();
    auto* gen = app.add_subcommand("generate-sigstore-key",
                                   "Make a sigstore (cosign) key pair for signing images");
    gen->footer("Writes PREFIX.private (encrypted with the passphrase, mode 0600) and PREFIX.pub, "
                "as skopeo generate-sigstore-key.\n\nExample:\n"
                "  ckimg generate-sigstore-key --output-prefix ./signing --passphrase-file pass");
    gen->add_option("--output-prefix", keys->prefix, "Write PREFIX.private and PREFIX.pub")
        ->required();
    gen->add_option("--passphrase-file", keys->passphrase_file,
                    "Read the passphrase from this file (first line)")
        ->required();
    gen->callback([keys, &invocation] {
        invocation.run = [keys] {
            std::string priv = keys->prefix + ".private", pub = keys->prefix + ".pub";
            for (const auto& path : {priv, pub})
                if (::access(path.c_str(), F_OK) == 0)
                    throw UsageError(path + " exists; ckimg does not overwrite keys");
            auto pair = generate_sigstore_key_pair(passphrase_of(keys->passphrase_file));
            write_new_file(priv, pair.private_pem, 0600);
            try {
                write_new_file(pub, pair.public_pem, 0644);
            } catch (...) {
                ::unlink(priv.c_str());
                throw;
            }
            print_human("Wrote " + printable(priv) + " and " + printable(pub));
            return 0;
        };
    });

    auto verify = std::make_shared<VerifyFlags>();
    auto* cmd = app.add_subcommand("verify", "Check an image's sigstore signature");
    cmd->footer("Succeeds when the image's manifest has a signature by KEY that names its digest "
                "and its repository\n(and tag), as a containers-policy.json sigstoreSigned "
                "requirement checks.\n\nExample:\n"
                "  ckimg verify registry.example.com/team/counter-ckpt:v1 --key signing.pub");
    cmd->add_option("image", verify->image, "[docker://]HOST/REPO[:TAG][@DIGEST]")->required();
    cmd->add_flag("--json", verify->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", verify->quiet, "Print nothing on success");
    add_registry_flags(*cmd, verify->registry, false);
    rename_registry_tls_flags(*cmd, verify->registry, "registry-");
    cmd->add_option("--key", verify->key, "The signer's public key (PEM)")->required();
    cmd->callback([verify, &invocation] {
        invocation.run = [verify, cancel = invocation.cancel] {
            auto result =
                verify_image(verify->image, verify->key, to_registry_options(verify->registry),
                             command_context(cancel, verify->registry));
            if (verify->json)
                print_json({{"reference", result.reference},
                            {"digest", result.manifest.str()},
                            {"identity", result.identity},
                            {"signatures", result.signatures}});
            else if (!verify->quiet)
                print_human("Verified " + printable(result.reference) + " (" +
                            result.manifest.str() + "): signed by " + printable(verify->key) +
                            " as " + printable(result.identity));
            return 0;
        };
    });
}

} // namespace ckimg::cli
