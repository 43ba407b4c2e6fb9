#include "cli/command.hpp"

#include <ckimg/format.hpp>

#include <iostream>

namespace ckimg::cli {

void add_formats_command(CLI::App& app, Invocation& invocation) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("formats", "List the checkpoint image formats");
    cmd->add_flag("--json", *json, "Print the list as JSON");
    cmd->callback([json, &invocation] {
        invocation.run = [json] {
            auto list = nlohmann::json::array();
            for (const auto* format : all_formats()) {
                if (*json)
                    list.push_back(
                        {{"name", format->name()}, {"description", format->description()}});
                else
                    std::cout << format->name() << "\t" << format->description() << '\n';
            }
            if (*json) print_json(list);
            return 0;
        };
    });
}

} // namespace ckimg::cli
