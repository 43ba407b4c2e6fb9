// ckimg-gen: writes realistic container checkpoint archives (the CRI-O, containerd and Podman
// layouts) and deliberately broken ones for ckimg's tests, since CRIU cannot run here.
// Same options, same bytes.

#include "bad_inputs.hpp"
#include "generator.hpp"
#include "options.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

namespace {

using namespace ckimg::gen;

// Enumerations are read as text and mapped in validate(): CLI11 2.1's enum support trips over
// the to_string overloads of this namespace.
struct Cli {
    Options options;
    std::string engine;
    std::string compression = "none";
    std::string order = "engine";
    std::string pages_size = "1M";
    std::string bad;
    bool list_bad = false;
};

template <typename T> struct Name {
    std::string_view text;
    T value;
};

template <typename T, std::size_t N>
std::optional<T> lookup(const std::array<Name<T>, N>& names, std::string_view text) {
    for (const Name<T>& name : names) {
        if (name.text == text) {
            return name.value;
        }
    }
    return std::nullopt;
}

constexpr std::array<Name<Engine>, 4> kEngines{{{"crio", Engine::Crio},
                                                {"cri-o", Engine::Crio},
                                                {"containerd", Engine::Containerd},
                                                {"podman", Engine::Podman}}};
constexpr std::array<Name<Compression>, 3> kCompressions{
    {{"none", Compression::None}, {"gzip", Compression::Gzip}, {"zstd", Compression::Zstd}}};
constexpr std::array<Name<EntryOrder>, 2> kOrders{
    {{"engine", EntryOrder::Engine}, {"lexical", EntryOrder::Lexical}}};

void add_options(CLI::App& app, Cli& cli) {
    Options& o = cli.options;
    app.add_option("--engine", cli.engine, "crio | containerd | podman: whose layout to write");
    app.add_option("-o,--output", o.output, "archive to write (mode 0600)");
    app.add_option("--pages-size", cli.pages_size,
                   "size of checkpoint/pages-1.img, K/M/G suffixes (default 1M)");
    app.add_option("--seed", o.seed, "seed of all generated content (default 1)");
    app.add_option("--container", o.container, "container name (default counter)");
    app.add_option("--pod", o.pod, "pod name (default counters)");
    app.add_option("--namespace", o.pod_namespace, "pod namespace (default default)");
    app.add_option("--image", o.image, "image of the container's rootfs");
    app.add_option("--arch", o.arch, "architecture recorded in spec and CRIU images (amd64)");
    app.add_option("--compress", cli.compression, "none | gzip | zstd: outer compression");
    app.add_option("--order", cli.order, "engine | lexical: entry order (default engine)");
    app.add_flag("--dot-prefix", o.dot_prefix, "store entries as ./name, after a ./ entry");
    app.add_option("--bad", cli.bad, "write this kind of invalid archive (see --list-bad)");
    app.add_flag("--list-bad", cli.list_bad, "print the --bad kinds, one per line");
    app.add_flag("--manifest", o.manifest, "print a JSON manifest of what was written");
    app.add_option("--manifest-file", o.manifest_file, "write the JSON manifest to this file");
}

// Cross-field checks CLI11 cannot express; returns an error message or "".
std::string validate(Cli& cli) {
    Options& o = cli.options;
    if (cli.engine.empty() || o.output.empty()) {
        return "--engine and -o are required";
    }
    const auto engine = lookup(kEngines, cli.engine);
    const auto compression = lookup(kCompressions, cli.compression);
    const auto order = lookup(kOrders, cli.order);
    if (!engine || !compression || !order) {
        return "--engine crio|containerd|podman, --compress none|gzip|zstd, "
               "--order engine|lexical";
    }
    o.engine = *engine;
    o.compression = *compression;
    o.order = *order;
    const auto size = parse_size(cli.pages_size);
    if (!size) {
        return "--pages-size: not a size: " + cli.pages_size;
    }
    o.pages_size = *size;
    if (!is_known_arch(o.arch)) {
        return "--arch: unknown architecture: " + o.arch;
    }
    if (!cli.bad.empty()) {
        const auto kind = parse_bad_kind(cli.bad);
        if (!kind) {
            return "--bad: unknown kind: " + cli.bad + " (see --list-bad)";
        }
        o.bad = *kind;
    }
    return "";
}

void emit_manifest(const Options& o, const Json& manifest) {
    if (o.manifest) {
        std::cout << manifest.dump(2) << "\n";
    }
    if (!o.manifest_file.empty()) {
        std::ofstream out(o.manifest_file, std::ios::trunc);
        out << manifest.dump(2) << "\n";
        if (!out) {
            throw std::runtime_error("cannot write " + o.manifest_file);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"ckimg-gen: writes realistic (or deliberately broken) container checkpoint "
                 "archives for tests"};
    Cli cli;
    add_options(app, cli);
    CLI11_PARSE(app, argc, argv);
    if (cli.list_bad) {
        for (const BadKindInfo& info : bad_kinds()) {
            std::cout << info.name << "\n";
        }
        return 0;
    }
    if (const std::string error = validate(cli); !error.empty()) {
        std::cerr << "ckimg-gen: " << error << "\n";
        return 2;
    }
    try {
        emit_manifest(cli.options, generate(cli.options));
    } catch (const std::exception& e) {
        std::cerr << "ckimg-gen: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
