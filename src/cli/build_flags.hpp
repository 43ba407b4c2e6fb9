// The flags of `build` (format, compression, metadata, destination, --push and the registry
// flags), shared by every command that builds an image from a checkpoint archive: `build` and
// `checkpoint` declare, parse and report them with this one code.
#pragma once

#include "cli/command.hpp"
#include "cli/crypto_flags.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <CLI/CLI.hpp>
#include <ckimg/build.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ckimg::cli {

struct BuildFlags {
    std::string output;
    std::string tag;
    std::string format = "crio";
    std::string compression = "gzip";
    std::optional<int> level;
    std::vector<std::string> annotations;
    std::vector<std::string> labels;
    std::string platform;
    std::string created;
    std::string base_image;
    bool json = false;
    bool quiet = false;
    std::string push;
    std::vector<std::string> push_tags;
    RegistryFlags registry;
    SignFlags sign;
    bool world_readable = false;
    std::string max_size;
    EncryptionFlags encryption;
};

// add_registry_flags()'s --ca-file, --cert and --key renamed --PREFIXca-file, ... (same variables).
void rename_registry_tls_flags(CLI::App& cmd, RegistryFlags& flags, const std::string& prefix);

// Every build flag but the archive. `registry_tls_prefix` renames the registry's --ca-file,
// --cert and --key (e.g. "registry-" gives --registry-ca-file) for a command whose own
// --ca-file, --cert and --key are for another server (checkpoint's kubelet).
void add_build_flags(CLI::App& cmd, BuildFlags& flags, const std::string& registry_tls_prefix = "");
// The library's options for `archive`; throws UsageError for a malformed value.
// `cancel` serves --base-image's lookup.
BuildOptions to_build_options(const BuildFlags& flags, const std::string& archive,
                              const CancelToken* cancel);
// build_image() with the progress display the flags ask for and the command's context.
BuildResult run_build_image(const BuildOptions& options, const BuildFlags& flags,
                            const CancelToken* cancel);
// What `build` prints: --json's object (with `extra` merged in), else the human summary.
void report_build(const BuildResult& result, const BuildFlags& flags,
                  const nlohmann::json& extra = nlohmann::json::object());

// `ckimg checkpoint` (checkpoint_command.cpp): the kubelet's checkpoint, then build's flags.
void add_checkpoint_command(CLI::App& app, Invocation& invocation);

} // namespace ckimg::cli
