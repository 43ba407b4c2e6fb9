#include "cli/command.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/copy.hpp>

namespace ckimg::cli {

namespace {

struct CopyFlags {
    std::string source;
    std::string destination;
    std::vector<std::string> tags;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
};

int run_copy(const CopyFlags& flags, const CancelToken* cancel) {
    CopyOptions options;
    auto registry = to_registry_options(flags.registry);
    options.tags = flags.tags;
    options.jobs = registry.jobs;
    ProgressDisplay progress(!flags.json && !flags.quiet);
    auto result = copy(flags.source, flags.destination, registry, options,
                       command_context(cancel, flags.registry, progress.callback()));
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
                "  ckimg copy oci-archive:ckpt.oci.tar registry.example.com/team/ckpt:v1 --json");
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
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_copy(*flags, cancel); };
    });
}

} // namespace ckimg::cli
