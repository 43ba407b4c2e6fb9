#include "cli/command.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/checkpoint.hpp>

namespace ckimg::cli {

namespace {

int run_validate(const std::string& archive, bool json, const std::string& max_size,
                 const CancelToken* cancel) {
    auto info = validate_checkpoint(
        archive, max_size.empty() ? 0 : parse_size(max_size, "--max-size"), cancel);
    if (json) {
        auto out = to_json(info);
        out["valid"] = true;
        print_json(out);
        return 0;
    }
    print_human(archive + ": valid " + engine_display_name(info.engine) + " checkpoint");
    print_human("  container  " + info.container_name);
    if (!info.pod_name.empty())
        print_human("  pod        " + info.pod_name + " (namespace " + info.pod_namespace + ")");
    if (!info.rootfs_image_name.empty()) print_human("  image      " + info.rootfs_image_name);
    if (!info.runtime.empty()) print_human("  runtime    " + info.runtime);
    if (!info.checkpointed_time.empty()) print_human("  checkpointed " + info.checkpointed_time);
    print_human("  size       " + human_size(info.total_size) + " in " +
                std::to_string(info.entry_count) + " entries (CRIU dump " +
                human_size(info.criu_size) + ", memory pages " + human_size(info.pages_size) +
                ", rootfs diff " + human_size(info.rootfs_diff_size) + ")");
    return 0;
}

} // namespace

void add_validate_command(CLI::App& app, Invocation& invocation) {
    auto archive = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "validate", "Check a checkpoint archive as build would, and report what it holds");
    cmd->add_option("archive", *archive, "Checkpoint archive ('-' for standard input)")->required();
    cmd->add_flag("--json", *json, "Print the report as one JSON object on stdout");
    auto max_size = std::make_shared<std::string>();
    cmd->add_option("--max-size", *max_size,
                    "Refuse archives whose files add up to more than SIZE (e.g. 64G)");
    cmd->callback([archive, json, max_size, &invocation] {
        invocation.run = [archive, json, max_size, cancel = invocation.cancel] {
            return run_validate(*archive, *json, *max_size, cancel);
        };
    });
}

} // namespace ckimg::cli
