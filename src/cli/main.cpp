#include "cli/build_flags.hpp"
#include "cli/command.hpp"

#include <ckimg/error.hpp>

#include <csignal>
#include <iostream>

namespace {

// The one piece of process-wide state: a signal handler can reach nothing else. The first
// SIGINT/SIGTERM asks the running command to stop and clean up (its library calls throw
// Cancelled, exit 130); a second one kills at once.
ckimg::CancelToken interrupted;

void on_signal(int) {
    interrupted.cancel();
}

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int run_help(CLI::App& app, const std::string& topic) {
    if (topic.empty()) {
        std::cout << app.help();
        return 0;
    }
    for (auto* sub : app.get_subcommands({}))
        if (sub->get_name() == topic) {
            std::cout << sub->help();
            return 0;
        }
    std::cerr << "ckimg: no command \"" << topic << "\"; run 'ckimg --help'\n";
    return 2;
}

std::string one_line(std::string text) {
    for (auto& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    return ckimg::cli::printable(text);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"ckimg: turn container checkpoints into OCI images and ship them to registries"};
    app.set_version_flag("--version", std::string("ckimg ") + CKIMG_VERSION);
    app.require_subcommand(1);
    ckimg::cli::Invocation invocation;
    invocation.cancel = &interrupted;
    ckimg::cli::add_build_command(app, invocation);
    ckimg::cli::add_validate_command(app, invocation);
    ckimg::cli::add_push_command(app, invocation);
    ckimg::cli::add_pull_command(app, invocation);
    ckimg::cli::add_copy_command(app, invocation);
    ckimg::cli::add_inspect_command(app, invocation);
    ckimg::cli::add_export_command(app, invocation);
    ckimg::cli::add_convert_command(app, invocation);
    ckimg::cli::add_checkpoint_command(app, invocation);
    ckimg::cli::add_login_commands(app, invocation);
    ckimg::cli::add_formats_command(app, invocation);
    ckimg::cli::add_sign_commands(app, invocation);
    std::string help_topic;
    auto* help = app.add_subcommand("help", "Show help for a command");
    help->add_option("command", help_topic, "The command");
    help->callback([&] { invocation.run = [&] { return run_help(app, help_topic); }; });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "ckimg: " << one_line(e.what()) << " (see 'ckimg --help')\n";
        return 2;
    }
    install_signal_handlers();
    try {
        return invocation.run ? invocation.run() : 2;
    } catch (const ckimg::UsageError& e) {
        std::cerr << "ckimg: " << one_line(e.what()) << '\n';
        return 2;
    } catch (const ckimg::Cancelled& e) {
        std::cerr << "ckimg: " << one_line(e.what()) << '\n';
        return 130;
    } catch (const std::exception& e) {
        std::cerr << "ckimg: " << one_line(e.what()) << '\n';
        return 1;
    }
}
