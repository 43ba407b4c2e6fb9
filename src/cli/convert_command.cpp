#include "cli/build_flags.hpp"
#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/export.hpp>

namespace ckimg::cli {

namespace {

struct ConvertFlags {
    std::string source;
    BuildFlags build; // every flag of `build`, --format required
    std::vector<std::string> decryption_keys;
};

ConvertOptions to_options(const ConvertFlags& flags, const CancelToken* cancel) {
    ConvertOptions options;
    options.source = flags.source;
    options.build = to_build_options(flags.build, "", cancel);
    // The push's registry options when there is a push: a password missing from --creds is
    // asked for once.
    options.registry = options.build.push ? options.build.push_options.registry
                                          : to_registry_options(flags.build.registry);
    options.decryption = to_decryption_options(flags.decryption_keys);
    return options;
}

int run_convert(const ConvertFlags& flags, const CancelToken* cancel) {
    auto options = to_options(flags, cancel);
    ProgressDisplay progress(!flags.build.json && !flags.build.quiet);
    auto result =
        convert_image(options, command_context(cancel, flags.build.registry, progress.callback()));
    print_warnings(result.build.plan.warnings);
    if (flags.build.json) {
        print_json(to_json(result));
    } else if (!flags.build.quiet) {
        print_human("Converted " + printable(result.source) + " (" + result.source_format +
                    ") into " + printable(result.build.reference) + " (" + result.build.format +
                    "), digest " + result.build.root.digest.str());
        if (result.build.push) report_push(*result.build.push, false, false);
    }
    return 0;
}

} // namespace

void add_convert_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<ConvertFlags>();
    flags->build.format.clear();
    auto* cmd = app.add_subcommand("convert", "Rewrite a checkpoint image in another format");
    cmd->footer("The source's format is detected; its archive streams through a pipe into a "
                "build in the new format, losslessly\n(every entry, its contents and its order "
                "are kept) and without an intermediate file. Every flag of build applies.\n\n"
                "Examples:\n"
                "  ckimg convert oci:./counter-ckpt:latest -o oci:./counter-std:latest "
                "--format oci-checkpoint\n"
                "  ckimg convert registry.example.com/ckpt:v1 --format crio --push "
                "registry.example.com/ckpt:v1-crio");
    cmd->add_option("source", flags->source,
                    "oci:DIR[:REF], oci-archive:FILE[:REF] or [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    add_build_flags(*cmd, flags->build);
    cmd->get_option("--format")->description("Format to write (see 'ckimg formats')")->required();
    add_decryption_flag(cmd, flags->decryption_keys);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] {
            return run_convert(*flags, cancel);
        };
    });
}

} // namespace ckimg::cli
