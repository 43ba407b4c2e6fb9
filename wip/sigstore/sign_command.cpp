// ckimg generate-sigstore-key and ckimg verify; the signing flags of push and build --push.
#include "cli/command.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/signature.hpp>
#include <ckimg/source.hpp>

namespace ckimg::cli {

void add_sign_flags(CLI::App* cmd, SignFlags& flags) {
    cmd->add_option("--sign-by-sigstore-private-key", flags.private_key,
                    "Sign what is pushed with this cosign private key (sigstore signature)");
    cmd->add_option("--sign-passphrase-file", flags.passphrase_file,
                    "Read the signing key's passphrase from this file (default: the terminal)");
}

void sign_if_asked(const SignFlags& flags, const Reference& image,
                   const std::vector<Digest>& manifests, const RegistryOptions& registry) {
    if (flags.private_key.empty()) {
        if (!flags.passphrase_file.empty())
            throw UsageError("--sign-passphrase-file needs --sign-by-sigstore-private-key");
        return;
    }
    sign_pushed_image(image, manifests, SignOptions{flags.private_key, flags.passphrase_file},
                      registry);
}

// The root and, for an index, the manifests it lists: containers/image checks a signature on
// both when it pulls an index.
std::vector<Digest> manifests_to_sign(ImageSource& pushed) {
    std::vector<Digest> out;
    for (const auto& node : read_image_graph(pushed).manifests) out.push_back(node.descriptor.digest);
    return out;
}

namespace {

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
                    "Read the passphrase from this file (default: asked twice on the terminal)");
    gen->callback([keys, &invocation] {
        invocation.run = [keys] {
            generate_sigstore_key({keys->prefix + ".private", keys->prefix + ".pub"},
                                  keys->passphrase_file);
            print_human("Wrote " + printable(keys->prefix) + ".private and " +
                        printable(keys->prefix) + ".pub");
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
    cmd->add_option("--key", verify->key, "The signer's public key (PEM)")->required();
    cmd->add_flag("--json", verify->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", verify->quiet, "Print nothing on success");
    add_registry_flags(*cmd, verify->registry, false);
    cmd->add_option("--creds", verify->registry.creds, "Credentials USER[:PASSWORD]");
    cmd->callback([verify, &invocation] {
        invocation.run = [verify, cancel = invocation.cancel] {
            auto result = verify_image(verify->image, verify->key,
                                       to_registry_options(verify->registry, cancel));
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
