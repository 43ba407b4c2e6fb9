#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/export.hpp>

namespace ckimg::cli {

namespace {

struct ConvertFlags {
    std::string source;
    std::string output;
    std::string format;
    std::string tag;
    std::string compression = "gzip";
    std::optional<int> level;
    std::string base_image;
    std::string push;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
    EncryptionFlags encryption;
    std::vector<std::string> decryption_keys;
};

ConvertOptions to_options(const ConvertFlags& flags, const CancelToken* cancel) {
    ConvertOptions options;
    options.source = flags.source;
    options.registry = to_registry_options(flags.registry);
    auto& build = options.build;
    build.destination = flags.output;
    build.tag = flags.tag;
    build.format = flags.format;
    build.compression = parse_compression(flags.compression);
    build.level = flags.level;
    build.encryption = to_encryption_options(flags.encryption);
    options.decryption = to_decryption_options(flags.decryption_keys);
    if (!flags.base_image.empty())
        build.format_options.base_image = base_image_descriptor(
            flags.base_image, options.registry, command_context(cancel, flags.registry));
    if (!flags.push.empty()) {
        build.push = Reference::parse(flags.push);
        build.push_options.registry = options.registry;
    }
    return options;
}

int run_convert(const ConvertFlags& flags, const CancelToken* cancel) {
    auto result = convert_image(to_options(flags, cancel), command_context(cancel, flags.registry));
    print_warnings(result.build.plan.warnings);
    if (flags.json) {
        print_json(to_json(result));
    } else if (!flags.quiet) {
        print_human("Converted " + printable(result.source) + " (" + result.source_format +
                    ") into " + printable(result.build.reference) + " (" + result.build.format +
                    "), digest " + result.build.root.digest.str());
    }
    return 0;
}

} // namespace

void add_convert_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<ConvertFlags>();
    auto* cmd = app.add_subcommand("convert", "Rewrite a checkpoint image in another format");
    cmd->footer("The source's format is detected; its archive streams through a pipe into a "
                "build in the new format, losslessly\n(every entry, its contents and its order "
                "are kept) and without an intermediate file.\n\nExamples:\n"
                "  ckimg convert oci:./counter-ckpt:latest -o oci:./counter-std:latest "
                "--format oci-checkpoint\n"
                "  ckimg convert registry.example.com/ckpt:v1 --format crio --push "
                "registry.example.com/ckpt:v1-crio");
    cmd->add_option("source", flags->source,
                    "oci:DIR[:REF], oci-archive:FILE[:REF] or [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("-o,--output", flags->output,
                    "Destination oci:DIR[:REF] or oci-archive:FILE[:REF] "
                    "(default oci:./<container>-checkpoint:latest)");
    cmd->add_option("--format", flags->format, "Format to write (see 'ckimg formats')")->required();
    cmd->add_option("--tag", flags->tag, "Tag to give the image (overrides the destination's)");
    cmd->add_option("--compression", flags->compression, "Layer compression: gzip, zstd or none")
        ->check(CLI::IsMember({"gzip", "zstd", "none"}));
    cmd->add_option("--level", flags->level, "Compression level (gzip 0-9, zstd 1-19)");
    add_encryption_flags(cmd, flags->encryption);
    add_decryption_flag(cmd, flags->decryption_keys);
    cmd->add_option("--base-image", flags->base_image,
                    "The checkpointed container's image (oci:..., registry reference): "
                    "the image links to it as subject (registry referrers API)");
    cmd->add_option("--push", flags->push, "Also push to this registry reference");
    cmd->add_flag("--json", flags->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
    add_registry_flags(*cmd, flags->registry, true);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] {
            return run_convert(*flags, cancel);
        };
    });
}

} // namespace ckimg::cli
