// What the user asked ckimg-gen to write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckimg::gen {

enum class Engine { Crio, Containerd, Podman };

enum class Compression { None, Gzip, Zstd };

// Engine: the order the engine's own tar writer emits (what real archives look like; CRI-O and
// Podman put checkpoint/ before or after config.dump). Lexical: sorted path components.
enum class EntryOrder { Engine, Lexical };

enum class BadKind {
    None,
    NotTar,
    Truncated,
    TruncatedStream,
    NoConfig,
    NoSpec,
    NoCheckpoint,
    ConfigNotJson,
    ConfigNoName,
    AbsPath,
    DotDot,
    SymlinkOut,
    HardlinkOut,
    Device,
};

struct Options {
    Engine engine = Engine::Crio;
    std::string output;
    std::uint64_t pages_size = 1024 * 1024;
    std::uint64_t seed = 1;
    std::string container = "counter";
    std::string pod = "counters";
    std::string pod_namespace = "default";
    std::string image = "quay.io/example/counter:latest";
    std::string arch = "amd64";
    Compression compression = Compression::None;
    bool dot_prefix = false;
    EntryOrder order = EntryOrder::Engine;
    BadKind bad = BadKind::None;
    bool manifest = false;     // print the manifest on stdout
    std::string manifest_file; // or write it to this file
};

std::string_view to_string(Engine engine);
std::string_view to_string(Compression compression);

// "4096", "64K", "1M", "4G", "2GiB" (binary multiples). Empty when malformed or overflowing.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The architectures the generator knows how to record (Go/OCI names).
bool is_known_arch(std::string_view arch);

} // namespace ckimg::gen
