#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <ckimg/registry.hpp>

namespace ckimg::cli {

namespace {

struct PushFlags {
    std::string source;
    std::string target;
    std::vector<std::string> tags;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
    SignFlags sign;
    EncryptionFlags encryption;
};

int run_push(const PushFlags& flags, const CancelToken* cancel) {
    auto target = Reference::parse(flags.target);
    PushOptions options;
    options.registry = to_registry_options(flags.registry);
    options.extra_tags = flags.tags;
    options.encryption = to_encryption_options(flags.encryption);
    ProgressDisplay progress(!flags.json && !flags.quiet);
    auto context = command_context(cancel, flags.registry, progress.callback());
    auto result = push(flags.source, target, options, context);
    sign_if_asked(flags.sign, target, result.root.digest, options.registry, context);
    report_push(result, flags.json, flags.quiet);
    return 0;
}

} // namespace

void report_push(const PushResult& result, bool json, bool quiet) {
    if (json) {
        print_json(to_json(result));
    } else if (!quiet) {
        print_human("Pushed " + result.reference + " (" + result.root.digest.str() + "): " +
                    std::to_string(result.pushed) + " uploaded, " + std::to_string(result.skipped) +
                    " already present, " + std::to_string(result.mounted) + " mounted, " +
                    human_size(result.bytes) + " sent");
    }
}

void add_push_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<PushFlags>();
    auto* cmd = app.add_subcommand("push", "Push an image from a layout to a registry");
    cmd->footer("Examples:\n  ckimg push oci:./counter-ckpt:latest "
                "registry.example.com/team/counter-ckpt:v1\n"
                "  ckimg push oci:./ckpt localhost:5000/ckpt:v1 --insecure --json\n"
                "  ckimg push oci:./ckpt registry.example.com/ckpt:v1 --encryption-key "
                "jwe:rsa.pub.pem");
    cmd->add_option("source", flags->source, "oci:DIR[:REF] or oci-archive:FILE[:REF]")->required();
    cmd->add_option("reference", flags->target,
                    "Registry reference [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("--tag", flags->tags, "Extra tag to push the image under (repeatable)");
    cmd->add_flag("--json", flags->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
    add_registry_flags(*cmd, flags->registry, true);
    add_sign_flags(*cmd, flags->sign);
    add_encryption_flags(cmd, flags->encryption);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_push(*flags, cancel); };
    });
}

} // namespace ckimg::cli
