#include "generator.hpp"

#include "archive_plan.hpp"
#include "archive_writer.hpp"
#include "bad_inputs.hpp"
#include "pages.hpp"
#include "prng.hpp"
#include "scenario.hpp"

#include <cstdio>

namespace ckimg::gen {

namespace {

constexpr std::uint64_t kNotTarSize = 64 * 1024;

std::string octal_mode(unsigned mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", mode);
    return text;
}

std::string_view type_name(EntryType type) {
    switch (type) {
    case EntryType::File:
        return "file";
    case EntryType::Directory:
        return "dir";
    case EntryType::Symlink:
        return "symlink";
    case EntryType::Hardlink:
        return "hardlink";
    case EntryType::CharDevice:
        return "chardev";
    }
    return "unknown";
}

Json describe_scenario(const Options& o, const Scenario& s) {
    const bool podman = s.engine == Engine::Podman; // Podman records no pod, namespace or uid
    return Json{{"engine", to_string(o.engine)},
                {"container", s.container},
                {"pod", podman ? "" : s.pod},
                {"namespace", podman ? "" : s.pod_namespace},
                {"podUid", podman ? "" : s.pod_uid},
                {"image", s.image.normalized},
                {"imageId", s.image.id},
                {"imageDigest", s.image.digest},
                {"containerId", s.container_id},
                {"runtime", s.runtime},
                {"arch", s.arch},
                {"createdTime", s.created.rfc3339_nano()},
                {"checkpointedTime", s.checkpointed.rfc3339_nano()}};
}

Json manifest(const Options& o, const Scenario& s, const WriteResult& r) {
    Json m = describe_scenario(o, s);
    m["compression"] = to_string(o.compression);
    m["bad"] = o.bad == BadKind::None ? Json(nullptr) : Json(to_string(o.bad));
    m["archive"] = Json{{"path", o.output}, {"size", r.archive_size}, {"sha256", r.archive_sha256}};
    Json entries = Json::array();
    for (const WrittenEntry& e : r.entries) {
        Json entry{{"name", e.name}, {"type", type_name(e.type)}, {"mode", octal_mode(e.mode)}};
        if (!e.link_target.empty()) {
            entry["linkTarget"] = e.link_target;
        }
        entries.push_back(entry);
    }
    m["entries"] = entries;
    Json files = Json::object();
    for (const WrittenFile& f : r.files) {
        files[f.path] = Json{{"size", f.size}, {"sha256", f.sha256}, {"mode", octal_mode(f.mode)}};
    }
    m["files"] = files;
    return m;
}

WriteResult write(const Options& o, const Scenario& s, const WriteSettings& settings) {
    if (o.bad == BadKind::NotTar) {
        return write_random_bytes(derive_seed(o.seed, "not-tar"), kNotTarSize, settings);
    }
    // CRIU writes whole pages only.
    const std::uint64_t pages_size = (o.pages_size + kPageSize - 1) / kPageSize * kPageSize;
    ArchivePlan plan = build_plan(o, s, pages_size);
    apply_bad_kind(o.bad, plan);
    WriteResult result = write_archive(plan, settings);
    if (o.bad == BadKind::TruncatedStream) {
        cut_in_half(settings.path, result, settings.hash);
    }
    return result;
}

} // namespace

Json generate(const Options& o) {
    const Scenario s = make_scenario(o);
    WriteSettings settings;
    settings.path = o.output;
    settings.compression = o.compression;
    settings.dot_prefix = o.dot_prefix;
    settings.hash = o.manifest || !o.manifest_file.empty();
    settings.mtime = s.checkpointed.seconds;
    try {
        return manifest(o, s, write(o, s, settings));
    } catch (...) {
        std::remove(o.output.c_str());
        throw;
    }
}

} // namespace ckimg::gen
