// The command line: each command is a short file that declares its flags with CLI11, fills an
// options struct and calls one library function.
#pragma once

#include <CLI/CLI.hpp>
#include <ckimg/context.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ckimg {
struct PushResult;
struct Descriptor;
struct RegistryOptions;
} // namespace ckimg

namespace ckimg::cli {

// Set by the chosen subcommand's callback; main() runs it after parsing.
struct Invocation {
    std::function<int()> run;
    // Cancelled on SIGINT/SIGTERM; long commands pass it to the library, which stops cleanly.
    const CancelToken* cancel = nullptr;
};

void add_build_command(CLI::App& app, Invocation& invocation);
void add_validate_command(CLI::App& app, Invocation& invocation);
void add_formats_command(CLI::App& app, Invocation& invocation);
void add_push_command(CLI::App& app, Invocation& invocation);
void add_login_commands(CLI::App& app, Invocation& invocation);
void add_pull_command(CLI::App& app, Invocation& invocation);
void add_copy_command(CLI::App& app, Invocation& invocation);
void add_inspect_command(CLI::App& app, Invocation& invocation);
void add_export_command(CLI::App& app, Invocation& invocation);
void add_convert_command(CLI::App& app, Invocation& invocation);
void add_sign_commands(CLI::App& app, Invocation& invocation);

void report_push(const PushResult& result, bool json, bool quiet);
// Each as one line "ckimg: warning: ..." on stderr (formats' notes, e.g. ImagePlan::warnings).
void print_warnings(const std::vector<std::string>& warnings);
// The root descriptor of an image (--base-image), read from its source.
Descriptor base_image_descriptor(const std::string& name, const RegistryOptions& registry,
                                 const Context& context);

// Output conventions: JSON on stdout (one object), human text on stderr.
void print_json(const nlohmann::json& json);
void print_human(const std::string& line);
// What may reach a terminal: control characters (escape sequences, newlines that fake another
// line) and bytes that are not UTF-8, from archives, layouts and registries, become "\xNN".
std::string printable(const std::string& text);
std::string human_size(std::uint64_t bytes);

} // namespace ckimg::cli
