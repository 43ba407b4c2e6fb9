#include "cli/build_flags.hpp"

#include <ckimg/error.hpp>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <regex>
#include <utility>

namespace ckimg::cli {

namespace {

Annotations parse_pairs(const std::vector<std::string>& pairs, const char* flag) {
    Annotations out;
    for (const auto& pair : pairs) {
        auto equals = pair.find('=');
        if (equals == std::string::npos || equals == 0)
            throw UsageError(std::string(flag) + " \"" + pair + "\": expected KEY=VALUE");
        out[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    return out;
}

bool is_rfc3339(const std::string& text) {
    static const std::regex pattern(
        R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))");
    return std::regex_match(text, pattern);
}

// --created, else SOURCE_DATE_EPOCH (reproducible-builds.org), else left to the format.
std::optional<std::string> creation_time(const std::string& flag) {
    if (!flag.empty()) {
        if (!is_rfc3339(flag))
            throw UsageError("--created \"" + flag +
                             "\": expected RFC 3339, e.g. 2026-11-22T08:00:01Z");
        return flag;
    }
    const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
    if (epoch == nullptr || *epoch == '\0') return std::nullopt;
    char* end = nullptr;
    long long seconds = std::strtoll(epoch, &end, 10);
    if (*end != '\0' || seconds < 0)
        throw UsageError(std::string("SOURCE_DATE_EPOCH \"") + epoch +
                         "\" is not a number of seconds");
    std::time_t time = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(text);
}

} // namespace

// add_registry_flags()'s --ca-file, --cert and --key under "--PREFIX..." names, the same
// variables.
void rename_registry_tls_flags(CLI::App& cmd, RegistryFlags& flags, const std::string& prefix) {
    const std::pair<const char*, std::string*> renamed[] = {
        {"ca-file", &flags.ca_file}, {"cert", &flags.cert_file}, {"key", &flags.key_file}};
    for (const auto& [name, value] : renamed) {
        auto* option = cmd.get_option(std::string("--") + name);
        std::string description = option->get_description() + " (the registry's)";
        cmd.remove_option(option);
        cmd.add_option("--" + prefix + name, *value, description);
    }
}

void add_build_flags(CLI::App& cmd, BuildFlags& flags, const std::string& registry_tls_prefix) {
    cmd.add_option("-o,--output", flags.output,
                   "Destination oci:DIR[:REF] or oci-archive:FILE[:REF] "
                   "(default oci:./<container>-checkpoint:latest)");
    cmd.add_option("--tag", flags.tag, "Tag to give the image (overrides the destination's)");
    cmd.add_option("--format", flags.format, "Checkpoint image format (see 'ckimg formats')");
    cmd.add_option("--compression", flags.compression, "Layer compression: gzip, zstd or none")
        ->check(CLI::IsMember({"gzip", "zstd", "none"}));
    cmd.add_option("--level", flags.level, "Compression level (gzip 0-9, zstd 1-19)");
    cmd.add_option("--annotation", flags.annotations, "Add or override an annotation KEY=VALUE");
    cmd.add_option("--label", flags.labels, "Add a config label KEY=VALUE");
    cmd.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT] of the image");
    cmd.add_option("--created", flags.created, "Creation time (RFC 3339)");
    cmd.add_option("--base-image", flags.base_image,
                   "The checkpointed container's image (oci:..., registry reference): "
                   "the image links to it as subject (registry referrers API)");
    cmd.add_flag("--world-readable", flags.world_readable,
                 "Make the layout 0755/0644 (default 0700/0600: checkpoints hold secrets)");
    cmd.add_option("--max-size", flags.max_size,
                   "Refuse archives whose files add up to more than SIZE (e.g. 64G)");
    add_encryption_flags(&cmd, flags.encryption);
    cmd.add_flag("--json", flags.json, "Print the result as one JSON object on stdout");
    cmd.add_flag("-q,--quiet", flags.quiet, "Print nothing on success");
    cmd.add_option("--push", flags.push,
                   "Also push to this registry reference, uploading while building");
    cmd.add_option("--push-tag", flags.push_tags, "Extra tag for --push (repeatable)");
    add_sign_flags(cmd, flags.sign);
    add_registry_flags(cmd, flags.registry, true);
    if (!registry_tls_prefix.empty())
        rename_registry_tls_flags(cmd, flags.registry, registry_tls_prefix);
}

BuildOptions to_build_options(const BuildFlags& flags, const std::string& archive,
                              const CancelToken* cancel) {
    BuildOptions options;
    options.archive = archive;
    options.destination = flags.output;
    options.tag = flags.tag;
    options.format = flags.format;
    options.compression = parse_compression(flags.compression);
    options.level = flags.level;
    options.format_options.extra_annotations = parse_pairs(flags.annotations, "--annotation");
    options.format_options.labels = parse_pairs(flags.labels, "--label");
    if (!flags.platform.empty()) options.format_options.platform = Platform::parse(flags.platform);
    options.format_options.created = creation_time(flags.created);
    options.world_readable = flags.world_readable;
    options.encryption = to_encryption_options(flags.encryption);
    if (!flags.max_size.empty()) options.max_size = parse_size(flags.max_size, "--max-size");
    // One set of registry options for --base-image and --push: a password missing from
    // --creds is asked for once.
    std::optional<RegistryOptions> registry;
    auto registry_options = [&]() -> const RegistryOptions& {
        if (!registry) registry = to_registry_options(flags.registry);
        return *registry;
    };
    if (!flags.base_image.empty())
        options.format_options.base_image = base_image_descriptor(
            flags.base_image, registry_options(), command_context(cancel, flags.registry));
    if (!flags.push.empty()) {
        options.push = Reference::parse(flags.push);
        options.push_options.registry = registry_options();
        options.push_options.extra_tags = flags.push_tags;
    }
    return options;
}

BuildResult run_build_image(const BuildOptions& options, const BuildFlags& flags,
                            const CancelToken* cancel) {
    ProgressDisplay progress(!flags.json && !flags.quiet);
    auto context = command_context(cancel, flags.registry, progress.callback());
    if (!options.push) check_no_signing(flags.sign, "needs --push");
    auto result = build_image(options, context);
    if (result.push && options.push)
        sign_if_asked(flags.sign, *options.push, result.push->root.digest,
                      options.push_options.registry, context);
    return result;
}

void report_build(const BuildResult& result, const BuildFlags& flags, const nlohmann::json& extra) {
    print_warnings(result.plan.warnings);
    if (flags.json) {
        auto json = to_json(result);
        json.update(extra);
        print_json(json);
        return;
    }
    if (flags.quiet) return;
    const auto& layer = result.plan.layers.front().descriptor;
    print_human("Built " + result.reference + " from the " +
                engine_display_name(result.info.engine) + " checkpoint of container \"" +
                result.info.container_name + "\"");
    if (result.plan.layers.size() == 1)
        print_human("  digest " + result.root.digest.str() + " (index), layer " +
                    human_size(static_cast<std::uint64_t>(layer.size)) + " " + layer.media_type);
    else
        print_human("  digest " + result.root.digest.str() + " (index), " +
                    std::to_string(result.plan.layers.size()) + " layers");
    if (result.push) report_push(*result.push, false, false);
}

} // namespace ckimg::cli
