#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/encryption.hpp>
#include <ckimg/inspect.hpp>

namespace ckimg::cli {

namespace {

struct InspectFlags {
    std::string target;
    std::string platform;
    bool json = false;
    RegistryFlags registry;
    std::vector<std::string> decryption_keys;
};

void field(const std::string& name, const std::string& value) {
    if (value.empty()) return;
    std::string padded = name;
    padded.resize(std::max<std::size_t>(name.size(), 14), ' ');
    print_human("  " + padded + value);
}

std::string size_or_empty(std::uint64_t bytes) {
    return bytes == 0 ? "" : human_size(bytes);
}

// The facts `checkpointctl show` prints; sizes an image does not record are left out.
void print_checkpoint(const CheckpointInfo& info) {
    field("container", info.container_name);
    field("image", info.rootfs_image_name);
    field("pod", info.pod_name);
    field("namespace", info.pod_namespace);
    field("engine", engine_display_name(info.engine));
    field("runtime", info.runtime);
    field("architecture", info.host_arch);
    field("created", info.created_time);
    field("checkpointed", info.checkpointed_time);
    field("CRIU dump", size_or_empty(info.criu_size));
    field("memory pages", size_or_empty(info.pages_size));
    field("rootfs diff", size_or_empty(info.rootfs_diff_size));
    if (info.entry_count != 0)
        field("total",
              human_size(info.total_size) + " in " + std::to_string(info.entry_count) + " entries");
}

std::string blob_line(const Descriptor& blob) {
    return blob.digest.str() + " (" + human_size(static_cast<std::uint64_t>(blob.size)) + ", " +
           blob.media_type + ")";
}

void print_annotations(const char* title, const Annotations& annotations) {
    if (annotations.empty()) return;
    print_human(std::string("  ") + title);
    for (const auto& [key, value] : annotations)
        print_human("    " + key + "=" + value);
}

void print_image(const ImageFacts& image, bool checkpoint) {
    print_human(image.name + ": " +
                (checkpoint ? "checkpoint image, format " + image.format
                            : std::string("not a checkpoint image (no format recognises it)")));
    field("digest", blob_line(image.root));
    if (image.manifest.digest != image.root.digest) field("manifest", blob_line(image.manifest));
    field("platform", image.platform ? image.platform->str() : "");
    field("created", image.created);
    field("artifact type", image.artifact_type.value_or(""));
    field("config", blob_line(image.config));
    for (std::size_t i = 0; i < image.layers.size(); ++i) {
        const auto& layer = image.layers[i];
        std::string label = "layer " + std::to_string(i + 1);
        std::string encrypted;
        if (auto info = layer_encryption_info(layer, image.name + ": " + label)) {
            encrypted = ", encrypted (" + info->cipher + ") for";
            for (const auto& recipient : info->recipients)
                encrypted += " " + recipient + ",";
            encrypted.pop_back();
            if (!image.decrypted_layers.empty())
                encrypted += "; decrypts to " + image.decrypted_layers[i].digest.str();
        }
        field(label, layer.digest.str() + " (" +
                         human_size(static_cast<std::uint64_t>(layer.size)) + ", " +
                         layer_compression(layer.media_type).value_or(layer.media_type) +
                         printable(encrypted) + ")");
    }
    print_annotations("annotations", image.annotations);
    print_annotations("index annotations", image.index_annotations);
}

int run_inspect(const InspectFlags& flags, const CancelToken* cancel) {
    InspectOptions options;
    options.registry = to_registry_options(flags.registry);
    if (!flags.platform.empty()) options.platform = Platform::parse(flags.platform);
    options.decryption = to_decryption_options(flags.decryption_keys);
    auto report = inspect(flags.target, options, command_context(cancel, flags.registry));
    if (flags.json) {
        print_json(to_json(report));
        return 0;
    }
    if (report.image) {
        print_image(*report.image, report.checkpoint.has_value());
        if (report.checkpoint) print_human("  checkpoint (as the image records it)");
    } else {
        print_human(report.target + ": " + engine_display_name(report.checkpoint->engine) +
                    " checkpoint archive");
    }
    if (report.checkpoint) print_checkpoint(*report.checkpoint);
    return 0;
}

} // namespace

void add_inspect_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<InspectFlags>();
    auto* cmd =
        app.add_subcommand("inspect", "Show what a checkpoint archive or a checkpoint image holds");
    cmd->footer("For an image only the manifest, the config and small metadata blobs are read, "
                "never the layers.\n\nExamples:\n"
                "  ckimg inspect checkpoint.tar\n"
                "  ckimg inspect oci:./counter-ckpt:latest --json\n"
                "  ckimg inspect registry.example.com/team/counter-ckpt:v1");
    cmd->add_option("target", flags->target,
                    "Checkpoint archive ('-' for standard input), oci:DIR[:REF], "
                    "oci-archive:FILE[:REF] or [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("--platform", flags->platform,
                    "OS/ARCH[/VARIANT] of the image to pick from an index (default: this host's)");
    cmd->add_flag("--json", flags->json, "Print the report as one JSON object on stdout");
    add_registry_flags(*cmd, flags->registry, false);
    cmd->add_option("--creds", flags->registry.creds, "Credentials USER[:PASSWORD]");
    add_decryption_flag(cmd, flags->decryption_keys);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] {
            return run_inspect(*flags, cancel);
        };
    });
}

} // namespace ckimg::cli
