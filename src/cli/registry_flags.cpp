#include "cli/registry_flags.hpp"

#include <ckimg/error.hpp>

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>

namespace ckimg::cli {

void add_registry_flags(CLI::App& cmd, RegistryFlags& flags, bool for_push) {
    cmd.add_flag("--insecure", flags.insecure,
                 "Allow plain HTTP and unverified TLS for this registry");
    cmd.add_option("--ca-file", flags.ca_file, "Trust the CA certificates in FILE too");
    cmd.add_option("--cert", flags.cert_file, "Client certificate (PEM)");
    cmd.add_option("--key", flags.key_file, "Client certificate key (PEM)");
    cmd.add_option("--authfile", flags.auth_file, "Credentials file (containers auth.json)");
    cmd.add_option("--retries", flags.retries, "Retries on transient failures")
        ->check(CLI::Range(0, 100));
    cmd.add_option("--timeout", flags.timeout, "Seconds without progress before giving up")
        ->check(CLI::Range(1, 86400));
    cmd.add_flag("--verbose", flags.verbose, "Trace registry requests (never credentials)");
    if (!for_push) return;
    cmd.add_option("--creds", flags.creds, "Credentials USER[:PASSWORD]");
    cmd.add_option("--chunk-size", flags.chunk_size,
                   "Upload blobs over SIZE in chunks of SIZE (e.g. 16M; default per registry)");
    cmd.add_option("--jobs", flags.jobs, "Blobs uploaded in parallel")->check(CLI::Range(1, 64));
    cmd.add_option("--mount-from", flags.mount_from,
                   "Repository on the same registry to mount blobs from");
}

std::uint64_t parse_size(const std::string& text, const char* flag) {
    std::size_t end = 0;
    unsigned long long value = 0;
    try {
        value = std::stoull(text, &end);
    } catch (const std::exception&) {
        throw UsageError(std::string(flag) + " \"" + text + "\": expected a size like 16M");
    }
    auto unit = text.substr(end);
    std::uint64_t scale = 1;
    if (unit == "" || unit == "B")
        scale = 1;
    else if (unit == "K" || unit == "KiB" || unit == "k")
        scale = 1ull << 10;
    else if (unit == "M" || unit == "MiB")
        scale = 1ull << 20;
    else if (unit == "G" || unit == "GiB")
        scale = 1ull << 30;
    else
        throw UsageError(std::string(flag) + " \"" + text + "\": unknown unit \"" + unit + "\"");
    return value * scale;
}

namespace {

std::string read_password_from_terminal(const std::string& prompt) {
    if (!isatty(STDIN_FILENO))
        throw UsageError("no password given and standard input is not a terminal "
                         "(use --creds USER:PASSWORD or --password-stdin)");
    // Echo off before the prompt shows: a password typed as soon as the prompt appears must not
    // be echoed (as getpass(3) does it).
    termios saved{};
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::cerr << prompt << std::flush;
    std::string password;
    std::getline(std::cin, password);
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << '\n';
    return password;
}

} // namespace

RegistryOptions to_registry_options(const RegistryFlags& flags) {
    RegistryOptions options;
    options.insecure = flags.insecure;
    options.ca_file = flags.ca_file;
    options.cert_file = flags.cert_file;
    options.key_file = flags.key_file;
    options.creds = flags.creds;
    if (!flags.creds.empty() && flags.creds.find(':') == std::string::npos)
        options.creds += ":" + read_password_from_terminal("Password for " + flags.creds + ": ");
    options.auth_file = flags.auth_file;
    options.retries = flags.retries;
    if (!flags.chunk_size.empty())
        options.chunk_size = parse_size(flags.chunk_size, "--chunk-size");
    options.jobs = flags.jobs;
    options.timeout_seconds = flags.timeout;
    options.mount_from = flags.mount_from;
    return options;
}

Context command_context(const CancelToken* cancel, const RegistryFlags& flags,
                        ProgressCallback progress) {
    Context context;
    context.cancel = cancel;
    context.progress = std::move(progress);
    context.warn = [](const std::string& message) {
        std::cerr << "ckimg: warning: " << message << '\n';
    };
    context.trace = flags.verbose;
    return context;
}

struct ProgressDisplay::State {
    struct Blob {
        std::uint64_t done = 0;
        std::uint64_t total = 0;
        bool finished = false;
        std::chrono::steady_clock::time_point start;
    };
    std::mutex mutex;
    std::map<std::string, Blob> blobs; // ordered: lines stay in place
    std::size_t lines_drawn = 0;
    std::chrono::steady_clock::time_point last_draw;

    void update(const TransferProgress& progress);
    void draw();
};

void ProgressDisplay::State::update(const TransferProgress& progress) {
    std::lock_guard lock(mutex);
    auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = blobs.try_emplace(progress.digest);
    if (inserted) it->second.start = now;
    it->second.done = progress.done;
    it->second.total = progress.total;
    it->second.finished = progress.finished;
    if (!progress.finished && !inserted && now - last_draw < std::chrono::milliseconds(100)) return;
    last_draw = now;
    draw();
}

void ProgressDisplay::State::draw() {
    if (lines_drawn > 0) std::fprintf(stderr, "\033[%zuA", lines_drawn);
    auto now = std::chrono::steady_clock::now();
    for (const auto& [digest, blob] : blobs) {
        double seconds = std::chrono::duration<double>(now - blob.start).count();
        double rate = seconds > 0 ? static_cast<double>(blob.done) / seconds : 0;
        double eta =
            rate > 0 ? static_cast<double>(blob.total - std::min(blob.done, blob.total)) / rate : 0;
        // A total of 0 is unknown (a layer being built): no total, no ETA.
        char total[32] = "";
        if (blob.total != 0)
            std::snprintf(total, sizeof total, " / %.1f",
                          static_cast<double>(blob.total) / 1048576.0);
        std::string state = blob.finished ? "done"
                            : blob.total == 0
                                ? ""
                                : "ETA " + std::to_string(static_cast<int>(eta)) + "s";
        std::fprintf(stderr, "\033[2K%.19s  %9.1f%s MiB  %7.1f MiB/s  %s\n", digest.c_str(),
                     static_cast<double>(blob.done) / 1048576.0, total, rate / 1048576.0,
                     state.c_str());
    }
    lines_drawn = blobs.size();
    std::fflush(stderr);
}

ProgressDisplay::ProgressDisplay(bool enabled) {
    if (enabled && isatty(STDERR_FILENO)) state_ = std::make_unique<State>();
}

ProgressDisplay::~ProgressDisplay() = default;

ProgressCallback ProgressDisplay::callback() {
    if (!state_) return {};
    State* state = state_.get();
    return [state](const TransferProgress& progress) { state->update(progress); };
}

} // namespace ckimg::cli
