#include "cli/command.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include <iostream>

namespace ckimg::cli {

namespace {

struct LoginFlags {
    std::string registry;
    std::string username;
    std::string password;
    bool password_stdin = false;
    RegistryFlags flags;
};

std::string read_line(std::istream& in) {
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

int run_login(LoginFlags& login_flags, const CancelToken* cancel) {
    if (login_flags.username.empty()) {
        if (!isatty(STDIN_FILENO) || login_flags.password_stdin)
            throw UsageError("login needs -u USER when standard input is not a terminal");
        std::cerr << "Username: " << std::flush;
        login_flags.username = read_line(std::cin);
    }
    std::string password = login_flags.password;
    if (login_flags.password_stdin) {
        password = read_line(std::cin);
    } else if (password.empty()) {
        RegistryFlags prompt = login_flags.flags;
        prompt.creds = login_flags.username; // no ':' -> to_registry_options prompts
        auto options = to_registry_options(prompt);
        password = options.creds.substr(login_flags.username.size() + 1);
    }
    if (password.empty()) throw UsageError("empty password");
    login(login_flags.registry, login_flags.username, password,
          to_registry_options(login_flags.flags), command_context(cancel, login_flags.flags));
    print_human("Login Succeeded: " + login_flags.registry);
    return 0;
}

} // namespace

void add_login_commands(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<LoginFlags>();
    auto* login_cmd = app.add_subcommand(
        "login", "Check credentials against a registry and store them in the auth file");
    login_cmd->footer(
        "Example:\n  ckimg login registry.example.com -u alice --password-stdin < token.txt");
    login_cmd->add_option("registry", flags->registry, "Registry host[:port]")->required();
    login_cmd->add_option("-u,--username", flags->username, "User name");
    login_cmd->add_option(
        "-p,--password", flags->password,
        "Password (visible to other users of this machine; prefer --password-stdin)");
    login_cmd->add_flag("--password-stdin", flags->password_stdin, "Read the password from stdin");
    add_registry_flags(*login_cmd, flags->flags, false);
    login_cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_login(*flags, cancel); };
    });

    auto logout_flags = std::make_shared<LoginFlags>();
    auto* logout_cmd = app.add_subcommand("logout", "Remove stored credentials for a registry");
    logout_cmd->add_option("registry", logout_flags->registry, "Registry host[:port]")->required();
    add_registry_flags(*logout_cmd, logout_flags->flags, false);
    logout_cmd->callback([logout_flags, &invocation] {
        invocation.run = [logout_flags] {
            logout(logout_flags->registry, to_registry_options(logout_flags->flags));
            print_human("Removed login credentials for " + logout_flags->registry);
            return 0;
        };
    });
}

} // namespace ckimg::cli
