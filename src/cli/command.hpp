// The command line: each command is a short file that declares its flags with CLI11, fills an
// options struct and calls one library function.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace ckimg {
struct PushResult;
}

namespace ckimg::cli {

// Set by the chosen subcommand's callback; main() runs it after parsing.
struct Invocation {
    std::function<int()> run;
};

void add_build_command(CLI::App& app, Invocation& invocation);
void add_validate_command(CLI::App& app, Invocation& invocation);
void add_formats_command(CLI::App& app, Invocation& invocation);
void add_push_command(CLI::App& app, Invocation& invocation);
void add_login_commands(CLI::App& app, Invocation& invocation);

void report_push(const PushResult& result, bool json, bool quiet);

// Output conventions: JSON on stdout (one object), human text on stderr.
void print_json(const nlohmann::json& json);
void print_human(const std::string& line);
std::string human_size(std::uint64_t bytes);

} // namespace ckimg::cli
