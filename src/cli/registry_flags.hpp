// Flags shared by every command that talks to a registry (push, login, build --push).
#pragma once

#include <CLI/CLI.hpp>
#include <ckimg/registry.hpp>

#include <memory>
#include <string>

namespace ckimg::cli {

struct RegistryFlags {
    bool insecure = false;
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::string creds;
    std::string auth_file;
    int retries = 5;
    std::string chunk_size;
    int jobs = 0;
    long timeout = 60;
    std::vector<std::string> mount_from;
    bool verbose = false;
};

void add_registry_flags(CLI::App& cmd, RegistryFlags& flags, bool for_push);
// Turns the flags into library options; prompts for a password missing from --creds on a
// terminal.
RegistryOptions to_registry_options(const RegistryFlags& flags);
// The library context of a command: the process's SIGINT/SIGTERM token, warnings as
// "ckimg: warning: ..." on stderr, the trace with --verbose, and `progress`.
Context command_context(const CancelToken* cancel, const RegistryFlags& flags,
                        ProgressCallback progress = {});
// "8M", "4MiB", "1048576" -> bytes; throws UsageError.
std::uint64_t parse_size(const std::string& text, const char* flag);

// Draws one live line per blob on a terminal: bytes, rate and ETA. Safe to call from the threads
// that move the bytes (the library serialises its calls).
class ProgressDisplay {
public:
    // Active only when stderr is a terminal and `enabled`.
    explicit ProgressDisplay(bool enabled);
    ~ProgressDisplay();
    ProgressDisplay(const ProgressDisplay&) = delete;
    ProgressDisplay& operator=(const ProgressDisplay&) = delete;
    // A callback for the library, or an empty one when inactive.
    ProgressCallback callback();

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace ckimg::cli
