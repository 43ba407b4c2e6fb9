#include "cli/build_flags.hpp"
#include "cli/command.hpp"

namespace ckimg::cli {

namespace {

struct BuildCommandFlags {
    std::string archive;
    BuildFlags build;
};

int run_build(const BuildCommandFlags& flags, const CancelToken* cancel) {
    auto result =
        run_build_image(to_build_options(flags.build, flags.archive, cancel), flags.build, cancel);
    report_build(result, flags.build);
    return 0;
}

} // namespace

void add_build_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<BuildCommandFlags>();
    auto* cmd = app.add_subcommand("build", "Build an OCI image from a checkpoint archive");
    cmd->footer("Examples:\n  ckimg build checkpoint.tar -o oci:./counter-ckpt:latest\n"
                "  ckimg build checkpoint.tar.zst --compression zstd --json");
    cmd->add_option("archive", flags->archive,
                    "Checkpoint archive (tar, tar.gz or tar.zst; '-' for standard input)")
        ->required();
    add_build_flags(*cmd, flags->build);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_build(*flags, cancel); };
    });
}

} // namespace ckimg::cli
