#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/pull.hpp>

namespace ckimg::cli {

namespace {

struct PullFlags {
    std::string source;
    std::string output;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
    std::vector<std::string> decryption_keys;
    std::string verify_key;
};

int run_pull(const PullFlags& flags, const CancelToken* cancel) {
    PullOptions options;
    options.registry = to_registry_options(flags.registry);
    options.decryption = to_decryption_options(flags.decryption_keys);
    options.verify_key = flags.verify_key;
    ProgressDisplay progress(!flags.json && !flags.quiet);
    auto result = pull(flags.source, flags.output, options,
                       command_context(cancel, flags.registry, progress.callback()));
    if (flags.json) {
        print_json(to_json(result));
    } else if (!flags.quiet) {
        print_human("Pulled " + result.source + " into " + result.destination + " (" +
                    result.root.digest.str() + "): " + std::to_string(result.copied) +
                    " blobs copied, " + std::to_string(result.present) + " already present, " +
                    human_size(result.bytes) + " received");
    }
    return 0;
}

} // namespace

void add_pull_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<PullFlags>();
    auto* cmd = app.add_subcommand("pull", "Copy an image from a registry into an OCI layout");
    cmd->footer("Every manifest of an index, the configs and the layers are copied and verified "
                "against their digests while they stream;\non failure nothing is left half "
                "written.\n\nExamples:\n"
                "  ckimg pull registry.example.com/team/counter-ckpt:v1 -o oci:./counter-ckpt\n"
                "  ckimg pull localhost:5000/ckpt@sha256:... -o oci:./ckpt:v1 --insecure --json");
    cmd->add_option("reference", flags->source,
                    "Registry reference [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("-o,--output", flags->output,
                    "Destination oci:DIR[:REF] (REF: a tag or a full name; default: the "
                    "reference's tag, else latest)")
        ->required();
    add_decryption_flag(cmd, flags->decryption_keys);
    cmd->add_option("--verify-key", flags->verify_key,
                    "Refuse the image unless its registry holds a sigstore signature by this "
                    "public key (PEM)");
    cmd->add_flag("--json", flags->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
    add_registry_flags(*cmd, flags->registry, false);
    cmd->add_option("--creds", flags->registry.creds, "Credentials USER[:PASSWORD]");
    cmd->add_option("--jobs", flags->registry.jobs, "Blobs downloaded in parallel")
        ->check(CLI::Range(1, 64));
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_pull(*flags, cancel); };
    });
}

} // namespace ckimg::cli
