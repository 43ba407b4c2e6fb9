#include "registry/credential_helper.hpp"

#include <ckimg/error.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ckimg::registry {

namespace {

constexpr std::size_t max_output = 1 << 20;
constexpr int helper_timeout_ms = 60'000; // helpers may ask a keychain that prompts the user

struct Pipe {
    int fd[2] = {-1, -1};
    Pipe() {
        if (::pipe2(fd, O_CLOEXEC) != 0) throw IoError(errno_message("cannot create a pipe"));
    }
    ~Pipe() { close_both(); }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_end(int i) {
        if (fd[i] >= 0) ::close(fd[i]);
        fd[i] = -1;
    }
    void close_both() {
        close_end(0);
        close_end(1);
    }
};

struct HelperRun {
    int status = -1;
    std::string output;
};

pid_t spawn(const std::string& program, Pipe& in, Pipe& out) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string verb = "get";
    char* argv[] = {const_cast<char*>(program.c_str()), verb.data(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        throw RegistryError(errno_message("cannot run credential helper " + program));
    }
    return pid;
}

// Writes the (small) request with SIGPIPE blocked in this thread only: a helper that exits
// without reading must give EPIPE, not kill the process, and other threads must not be affected.
void write_request(int fd, const std::string& input) {
    sigset_t pipe_set, previous;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &previous);
    std::size_t written = 0;
    while (written < input.size()) {
        auto w = ::write(fd, input.data() + written, input.size() - written);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        written += static_cast<std::size_t>(w);
    }
    timespec zero{};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

// Collects stdout until EOF or the deadline, whichever comes first.
std::string read_output(int fd, const std::string& program) {
    std::string output;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(helper_timeout_ms);
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw RegistryError("credential helper " + program + " timed out");
        pollfd pfd{fd, POLLIN, 0};
        int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (n < 0 && errno != EINTR) throw IoError(errno_message("poll"));
        if (n <= 0) continue;
        char buffer[4096];
        auto r = ::read(fd, buffer, sizeof buffer);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return output;
        output.append(buffer, static_cast<std::size_t>(r));
        if (output.size() > max_output)
            throw RegistryError("credential helper " + program + " printed too much");
    }
}

HelperRun run_helper(const std::string& program, const std::string& input) {
    Pipe in, out;
    pid_t pid = spawn(program, in, out);
    in.close_end(0);
    out.close_end(1);
    HelperRun run;
    try {
        write_request(in.fd[1], input);
        in.close_end(1);
        run.output = read_output(out.fd[0], program);
    } catch (...) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw;
    }
    while (::waitpid(pid, &run.status, 0) < 0 && errno == EINTR) {
    }
    return run;
}

} // namespace

std::optional<Credentials> credential_helper_get(const std::string& helper,
                                                 const std::string& server_url) {
    // The name comes from a file: it may only name a program on PATH, never a path.
    if (helper.empty() || helper.find('/') != std::string::npos)
        throw InputError("invalid credential helper name \"" + helper.substr(0, 100) + "\"");
    std::string program = "docker-credential-" + helper;
    auto run = run_helper(program, server_url + "\n");
    if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
        // The protocol reports a missing entry on stdout with a non-zero exit.
        if (run.output.find("credentials not found") != std::string::npos) return std::nullopt;
        if (WIFEXITED(run.status) && WEXITSTATUS(run.status) == 127)
            throw RegistryError("credential helper " + program + " not found on PATH");
        throw RegistryError("credential helper " + program + " failed for " + server_url);
    }
    auto json = nlohmann::json::parse(run.output, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw RegistryError("credential helper " + program + " printed no JSON object");
    Credentials creds;
    auto text = [&](const char* key) {
        auto it = json.find(key);
        return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    creds.username = text("Username");
    auto secret = text("Secret");
    if (creds.username == "<token>") {
        creds.username.clear();
        creds.identity_token = secret;
    } else {
        creds.password = secret;
    }
    if (creds.empty()) return std::nullopt;
    return creds;
}

} // namespace ckimg::registry
