#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <ckimg/copy.hpp>
#include <ckimg/transport.hpp>

namespace ckimg::cli {

namespace {

struct CopyFlags {
    std::string source;
    std::string destination;
    std::vector<std::string> tags;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
    EncryptionFlags encryption;
    std::vector<std::string> decryption_keys;
    SignFlags sign;
};

int run_copy(const CopyFlags& flags, const CancelToken* cancel) {
    CopyOptions options;
    auto registry = to_registry_options(flags.registry);
    options.tags = flags.tags;
    options.jobs = registry.jobs;
    options.encryption = to_encryption_options(flags.encryption);
    options.decryption = to_decryption_options(flags.decryption_keys);
    // A signature is stored in the destination registry, beside the image.
    bool to_registry = !is_local_target(flags.destination);
    if (!to_registry) check_no_signing(flags.sign, "needs a registry destination");
    ProgressDisplay progress(!flags.json && !flags.quiet);
    auto context = command_context(cancel, flags.registry, progress.callback());
    auto result = copy(flags.source, flags.destination, registry, options, context);
    if (to_registry)
        sign_if_asked(flags.sign, Reference::parse(flags.destination), result.root.digest, registry,
                      context);
    if (flags.json) {
        print_json(to_json(result));
    } else if (!flags.quiet) {
        print_human("Copied " + result.source + " to " + result.destination + " (" +
                    result.root.digest.str() + "): " + std::to_string(result.copied) +
                    " blobs copied, " + std::to_string(result.present) + " already present, " +
                    std::to_string(result.mounted) + " mounted, " + human_size(result.bytes));
    }
    return 0;
}

} // namespace

void add_copy_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<CopyFlags>();
    auto* cmd =
        app.add_subcommand("copy", "Copy an image between layouts, archives and registries");
    cmd->footer("Every manifest of an index, the configs and the layers are copied, verified "
                "against their digests;\nthe tags come last, and a failed copy leaves nothing "
                "half written.\n\nExamples:\n"
                "  ckimg copy oci:./counter-ckpt:latest oci-archive:ckpt.oci.tar\n"
                "  ckimg copy localhost:5000/ckpt:v1 localhost:5000/mirror/ckpt:v1 --insecure\n"
                "  ckimg copy oci-archive:ckpt.oci.tar registry.example.com/team/ckpt:v1 --json\n"
                "  ckimg copy oci:./ckpt oci:./ckpt-enc --encryption-key jwe:rsa.pub.pem\n"
                "  ckimg copy oci:./ckpt oci:./ckpt-enc --encryption-key pkcs7:node-b.crt\n"
                "  ckimg copy registry.example.com/ckpt:v1 oci:./ckpt --decryption-key rsa.pem");
    cmd->add_option("source", flags->source,
                    "oci:DIR[:REF], oci-archive:FILE[:REF] or [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("destination", flags->destination,
                    "oci:DIR[:REF], oci-archive:FILE[:REF] or [docker://]HOST/REPO[:TAG]")
        ->required();
    cmd->add_option("--tag", flags->tags, "Extra tag for the destination (repeatable)");
    cmd->add_flag("--json", flags->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
    add_registry_flags(*cmd, flags->registry, true);
    add_encryption_flags(cmd, flags->encryption);
    add_decryption_flag(cmd, flags->decryption_keys);
    add_sign_flags(*cmd, flags->sign);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_copy(*flags, cancel); };
    });
}

} // namespace ckimg::cli
