#include "archive_plan.hpp"

#include "criu_images.hpp"
#include "engine_metadata.hpp"
#include "oci_spec.hpp"
#include "prng.hpp"
#include "rootfs_diff.hpp"

#include <algorithm>
#include <string_view>

namespace ckimg::gen {

namespace {

// Modes as the engines leave them. CRI-O and Podman write their files 0600 (WriteJSONFile,
// CRIU's CR_FD_PERM) but the rootfs diff and CRI-O's log copy with os.Create (0644 under the
// usual umask). containerd makes its directories 0700 and creates the unpacked CRIU images, the
// spec and the layer with os.Create.
struct EngineModes {
    unsigned dir;
    unsigned file;
    unsigned created; // files created with os.Create
};

EngineModes modes_for(Engine engine) {
    if (engine == Engine::Containerd) {
        return {0700, 0600, 0644};
    }
    return {0755, 0600, 0600};
}

PlanEntry file(std::string path, std::string data, unsigned mode) {
    PlanEntry e;
    e.path = std::move(path);
    e.data = std::move(data);
    e.mode = mode;
    return e;
}

PlanEntry directory(std::string path, unsigned mode) {
    PlanEntry e;
    e.path = std::move(path);
    e.type = EntryType::Directory;
    e.mode = mode;
    return e;
}

// checkpoint/ and the CRIU images in it, sorted as a directory walk returns them.
std::vector<PlanEntry> checkpoint_dir(const CriuDump& dump, const EngineModes& m,
                                      std::uint64_t pages_seed) {
    std::vector<PlanEntry> entries{directory("checkpoint", m.dir)};
    for (const NamedBlob& image : dump.images) {
        entries.push_back(file("checkpoint/" + image.name, image.data, m.created));
    }
    PlanEntry pages = file("checkpoint/" + dump.pages_name, "", m.created);
    pages.pages_seed = pages_seed;
    pages.pages_size = dump.pages_size;
    entries.push_back(std::move(pages));
    sort_lexically(entries);
    return entries;
}

void append(std::vector<PlanEntry>& to, std::vector<PlanEntry> from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// internal/lib/checkpoint.go: stats-dump, dump.log, checkpoint, config.dump, spec.dump,
// bind.mounts, then the rootfs diff files and the container log.
std::vector<PlanEntry> crio_entries(const Scenario& s, const CriuDump& dump,
                                    std::vector<PlanEntry> checkpoint) {
    const unsigned m = modes_for(s.engine).file;
    const RootfsDiff diff = make_rootfs_diff(s);
    std::vector<PlanEntry> entries{file("stats-dump", dump.stats_dump, m),
                                   file("dump.log", dump.dump_log, m)};
    append(entries, std::move(checkpoint));
    append(entries,
           {file("config.dump", config_dump(s), m), file("spec.dump", spec_dump(s), m),
            file("bind.mounts", crio_bind_mounts(s), m), file("rootfs-diff.tar", diff.tar, 0644),
            file("deleted.files", diff.deleted_files, m),
            file("io.kubernetes.cri-o.LogPath", container_log(s), 0644)});
    return entries;
}

// libpod exportCheckpoint: config.dump, spec.dump, network.status, stats-dump, ctr.log,
// checkpoint, then the rootfs diff files. Podman does not export CRIU's dump.log.
std::vector<PlanEntry> podman_entries(const Scenario& s, const CriuDump& dump,
                                      std::vector<PlanEntry> checkpoint) {
    const unsigned m = modes_for(s.engine).file;
    const RootfsDiff diff = make_rootfs_diff(s);
    std::vector<PlanEntry> entries{
        file("config.dump", config_dump(s), m), file("spec.dump", spec_dump(s), m),
        file("network.status", podman_network_status(s), m), file("stats-dump", dump.stats_dump, m),
        file("ctr.log", container_log(s), m)};
    append(entries, std::move(checkpoint));
    append(entries,
           {file("rootfs-diff.tar", diff.tar, 0644), file("deleted.files", diff.deleted_files, m)});
    return entries;
}

// containerd's archive.Diff walks its staging directory, so the order is lexical.
std::vector<PlanEntry> containerd_entries(const Scenario& s, const CriuDump& dump,
                                          std::vector<PlanEntry> checkpoint) {
    const EngineModes m = modes_for(s.engine);
    std::vector<PlanEntry> entries = std::move(checkpoint);
    append(entries,
           {file("config.dump", config_dump(s), m.file),
            file("container.log", container_log(s), m.file),
            file("dump.log", dump.dump_log, m.file),
            file("rootfs-diff.tar", make_rootfs_diff(s).tar, m.created),
            file("spec.dump", spec_dump(s), m.created), file("stats-dump", dump.stats_dump, m.file),
            file("status", containerd_status(s), m.file),
            file("status.dump", containerd_status_dump(s), m.file)});
    sort_lexically(entries);
    return entries;
}

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    return parts;
}

} // namespace

void sort_lexically(std::vector<PlanEntry>& entries) {
    std::stable_sort(entries.begin(), entries.end(), [](const PlanEntry& a, const PlanEntry& b) {
        const auto pa = components(a.path);
        const auto pb = components(b.path);
        return std::lexicographical_compare(pa.begin(), pa.end(), pb.begin(), pb.end());
    });
}

ArchivePlan build_plan(const Options& o, const Scenario& s, std::uint64_t pages_size) {
    const CriuDump dump = make_criu_dump(s, pages_size);
    std::vector<PlanEntry> checkpoint =
        checkpoint_dir(dump, modes_for(s.engine), derive_seed(o.seed, "pages"));
    ArchivePlan plan;
    switch (s.engine) {
    case Engine::Crio:
        plan.entries = crio_entries(s, dump, std::move(checkpoint));
        break;
    case Engine::Containerd:
        plan.entries = containerd_entries(s, dump, std::move(checkpoint));
        break;
    case Engine::Podman:
        plan.entries = podman_entries(s, dump, std::move(checkpoint));
        break;
    }
    if (o.order == EntryOrder::Lexical) {
        sort_lexically(plan.entries);
    }
    if (o.dot_prefix) { // "tar -C dir -cf x ." style: a "./" root entry first
        plan.entries.insert(plan.entries.begin(), directory(".", modes_for(s.engine).dir));
    }
    return plan;
}

} // namespace ckimg::gen
