#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/export.hpp>

namespace ckimg::cli {

namespace {

struct ExportFlags {
    std::string source;
    std::string output;
    int config_readers = 0;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
    std::vector<std::string> decryption_keys;
    std::string verify_key;
};

int run_export(const ExportFlags& flags, const CancelToken* cancel) {
    ExportOptions options;
    options.source = flags.source;
    options.output = flags.output;
    options.config_readers = flags.config_readers;
    options.registry = to_registry_options(flags.registry);
    options.decryption = to_decryption_options(flags.decryption_keys);
    options.verify_key = flags.verify_key;
    auto result = export_checkpoint(options, command_context(cancel, flags.registry));
    if (flags.json) {
        print_json(to_json(result));
    } else if (!flags.quiet) {
        auto where = result.output == "-" ? std::string("standard output") : result.output;
        print_human("Exported " + printable(result.source) + " (" + result.format + " format) to " +
                    printable(where) + ": " + human_size(result.bytes));
    }
    return 0;
}

} // namespace

void add_export_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<ExportFlags>();
    auto* cmd =
        app.add_subcommand("export", "Turn a checkpoint image back into a checkpoint archive");
    cmd->footer("The image may be in any format 'ckimg formats' lists (detected). The archive is "
                "an uncompressed tar with\nthe original entries, in the original order, with the "
                "original contents, as CRI-O and crictl restore from\na file; it appears only "
                "once complete (mode 0600). A FIFO is written into as the image downloads, so "
                "that a\nrestore reads while it arrives; `podman container restore --import` "
                "(Podman 5.4) reads its\nargument three times, twice for the configuration "
                "only: --config-readers 2.\n\nExamples:\n"
                "  ckimg export oci:./counter-ckpt:latest checkpoint.tar\n"
                "  ckimg export registry.example.com/team/counter-ckpt:v1 - | checkpointctl "
                "show /dev/stdin\n"
                "  mkfifo ck.fifo; ckimg export REF ck.fifo --config-readers 2 &\n"
                "  podman container restore --import ck.fifo");
    cmd->add_option("source", flags->source,
                    "oci:DIR[:REF], oci-archive:FILE[:REF] or [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("archive", flags->output, "Archive to write ('-' for standard output)")
        ->required();
    cmd->add_option("--config-readers", flags->config_readers,
                    "ARCHIVE is a FIFO: its first N readers get only the entries up to "
                    "config.dump and spec.dump")
        ->check(CLI::Range(0, 16));
    add_decryption_flag(cmd, flags->decryption_keys);
    cmd->add_option("--verify-key", flags->verify_key,
                    "Refuse the image unless its registry holds a sigstore signature by this "
                    "public key (PEM)");
    cmd->add_flag("--json", flags->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
    add_registry_flags(*cmd, flags->registry, false);
    cmd->add_option("--creds", flags->registry.creds, "Credentials USER[:PASSWORD]");
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] {
            if (flags->json && flags->output == "-")
                throw UsageError("--json and an archive on standard output both need stdout");
            return run_export(*flags, cancel);
        };
    });
}

} // namespace ckimg::cli
