#include "cli/command.hpp"
#include "cli/registry_flags.hpp"

#include <ckimg/error.hpp>
#include <ckimg/layout.hpp>
#include <ckimg/registry.hpp>
#include <ckimg/transport.hpp>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace ckimg::cli {

namespace {

struct PushFlags {
    std::string source;
    std::string target;
    std::vector<std::string> tags;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
};

// An oci-archive is pushed from a private unpacked copy, removed afterwards.
class UnpackedArchive {
public:
    explicit UnpackedArchive(const std::string& file) {
        std::string pattern = (fs::temp_directory_path() / "ckimg-push-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw IoError(errno_message("cannot create a temporary directory"));
        dir_ = pattern;
        try {
            unpack_oci_archive(file, dir_);
        } catch (...) {
            // The destructor does not run when the constructor throws: no half-unpacked copy of
            // the image (process memory) may stay behind in the temporary directory.
            std::error_code ignored;
            fs::remove_all(dir_, ignored);
            throw;
        }
    }
    ~UnpackedArchive() {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    UnpackedArchive(const UnpackedArchive&) = delete;
    UnpackedArchive& operator=(const UnpackedArchive&) = delete;
    const fs::path& dir() const { return dir_; }

private:
    fs::path dir_;
};

nlohmann::json push_json(const PushResult& result) {
    return {{"reference", result.reference},
            {"digest", result.root.digest.str()},
            {"mediaType", result.root.media_type},
            {"size", result.root.size},
            {"pushed", result.pushed},
            {"skipped", result.skipped},
            {"mounted", result.mounted},
            {"bytes", result.bytes}};
}

int run_push(const PushFlags& flags, const std::atomic<bool>* cancel) {
    auto source = parse_local_target(flags.source);
    auto target = Reference::parse(flags.target);
    PushOptions options;
    options.registry = to_registry_options(flags.registry, cancel);
    options.extra_tags = flags.tags;
    ProgressDisplay progress(!flags.json && !flags.quiet);
    options.progress = progress.callback();
    std::optional<UnpackedArchive> unpacked;
    std::string dir = source.path;
    if (source.kind == LocalTarget::Kind::archive) {
        unpacked.emplace(source.path);
        dir = unpacked->dir().string();
    }
    auto result = push_layout(dir, source.tag, target, options);
    report_push(result, flags.json, flags.quiet);
    return 0;
}

} // namespace

void report_push(const PushResult& result, bool json, bool quiet) {
    if (json) {
        print_json(push_json(result));
    } else if (!quiet) {
        print_human("Pushed " + result.reference + " (" + result.root.digest.str() + "): " +
                    std::to_string(result.pushed) + " uploaded, " + std::to_string(result.skipped) +
                    " already present, " + std::to_string(result.mounted) + " mounted, " +
                    human_size(result.bytes) + " sent");
    }
}

void add_push_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<PushFlags>();
    auto* cmd = app.add_subcommand("push", "Push an image from a layout to a registry");
    cmd->footer("Examples:\n  ckimg push oci:./counter-ckpt:latest "
                "registry.example.com/team/counter-ckpt:v1\n"
                "  ckimg push oci:./ckpt localhost:5000/ckpt:v1 --insecure --json");
    cmd->add_option("source", flags->source, "oci:DIR[:REF] or oci-archive:FILE[:REF]")->required();
    cmd->add_option("reference", flags->target,
                    "Registry reference [docker://]HOST/REPO[:TAG][@DIGEST]")
        ->required();
    cmd->add_option("--tag", flags->tags, "Extra tag to push the image under (repeatable)");
    cmd->add_flag("--json", flags->json, "Print the result as one JSON object on stdout");
    cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
    add_registry_flags(*cmd, flags->registry, true);
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] { return run_push(*flags, cancel); };
    });
}

} // namespace ckimg::cli
