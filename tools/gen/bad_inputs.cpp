#include "bad_inputs.hpp"

#include "go_json.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace ckimg::gen {

namespace {

constexpr std::array<BadKindInfo, 13> kBadKinds{{
    {BadKind::NotTar, "not-tar", "random bytes (compressed when --compress is given)"},
    {BadKind::Truncated, "truncated", "tar stream cut in the middle of its largest file"},
    {BadKind::TruncatedStream, "truncated-stream",
     "archive file (with its compression) cut at half its size"},
    {BadKind::NoConfig, "no-config", "config.dump missing"},
    {BadKind::NoSpec, "no-spec", "spec.dump missing"},
    {BadKind::NoCheckpoint, "no-checkpoint", "checkpoint/ missing"},
    {BadKind::ConfigNotJson, "config-not-json", "config.dump is not JSON"},
    {BadKind::ConfigNoName, "config-no-name", "config.dump is a JSON object without \"name\""},
    {BadKind::AbsPath, "abs-path", "extra entry /etc/evil"},
    {BadKind::DotDot, "dotdot", "extra entry checkpoint/../../evil"},
    {BadKind::SymlinkOut, "symlink-out", "symlink checkpoint/link -> ../../../etc/passwd"},
    {BadKind::HardlinkOut, "hardlink-out", "hard link checkpoint/hardlink -> ../outside"},
    {BadKind::Device, "device", "character device checkpoint/null (1:3)"},
}};

PlanEntry* find(ArchivePlan& plan, std::string_view path) {
    const auto it = std::find_if(plan.entries.begin(), plan.entries.end(),
                                 [path](const PlanEntry& e) { return e.path == path; });
    return it == plan.entries.end() ? nullptr : &*it;
}

void remove_tree(ArchivePlan& plan, const std::string& path) {
    std::erase_if(plan.entries, [&path](const PlanEntry& e) {
        return e.path == path || e.path.rfind(path + "/", 0) == 0;
    });
}

PlanEntry& config_entry(ArchivePlan& plan) {
    PlanEntry* config = find(plan, "config.dump");
    if (config == nullptr) {
        throw std::logic_error("the plan has no config.dump");
    }
    return *config;
}

// Same JSON style as before (the engine's indented or compact form), minus "name".
void drop_config_name(PlanEntry& config) {
    Json json = Json::parse(config.data);
    json.erase("name");
    const bool indented = config.data.find('\n') != std::string::npos;
    config.data = indented ? go_indent(json) : go_compact(json);
}

PlanEntry special(std::string path, EntryType type, std::string target = {}) {
    PlanEntry e;
    e.path = std::move(path);
    e.type = type;
    e.mode = type == EntryType::CharDevice ? 0666 : (type == EntryType::Symlink ? 0777 : 0600);
    e.link_target = std::move(target);
    return e;
}

PlanEntry evil_file(std::string path) {
    PlanEntry e = special(std::move(path), EntryType::File);
    e.data = "written outside the extraction directory\n";
    return e;
}

void mark_truncation(ArchivePlan& plan) {
    const PlanEntry* largest = nullptr;
    for (const PlanEntry& e : plan.entries) {
        if (e.type == EntryType::File && (largest == nullptr || e.size() > largest->size())) {
            largest = &e;
        }
    }
    if (largest != nullptr) {
        plan.truncate_in = largest->path;
    }
}

} // namespace

std::span<const BadKindInfo> bad_kinds() {
    return kBadKinds;
}

std::string_view to_string(BadKind kind) {
    for (const BadKindInfo& info : kBadKinds) {
        if (info.kind == kind) {
            return info.name;
        }
    }
    return "none";
}

std::optional<BadKind> parse_bad_kind(std::string_view name) {
    for (const BadKindInfo& info : kBadKinds) {
        if (info.name == name) {
            return info.kind;
        }
    }
    return std::nullopt;
}

void apply_bad_kind(BadKind kind, ArchivePlan& plan) {
    switch (kind) {
    case BadKind::None:
    case BadKind::NotTar:
    case BadKind::TruncatedStream: // done on the finished file
        return;
    case BadKind::Truncated:
        return mark_truncation(plan);
    case BadKind::NoConfig:
        return remove_tree(plan, "config.dump");
    case BadKind::NoSpec:
        return remove_tree(plan, "spec.dump");
    case BadKind::NoCheckpoint:
        return remove_tree(plan, "checkpoint");
    case BadKind::ConfigNotJson:
        config_entry(plan).data = "config.dump: this is not JSON {\"id\": \n";
        return;
    case BadKind::ConfigNoName:
        return drop_config_name(config_entry(plan));
    case BadKind::AbsPath:
        return plan.entries.push_back(evil_file("/etc/evil"));
    case BadKind::DotDot:
        return plan.entries.push_back(evil_file("checkpoint/../../evil"));
    case BadKind::SymlinkOut:
        return plan.entries.push_back(
            special("checkpoint/link", EntryType::Symlink, "../../../etc/passwd"));
    case BadKind::HardlinkOut:
        return plan.entries.push_back(
            special("checkpoint/hardlink", EntryType::Hardlink, "../outside"));
    case BadKind::Device: {
        PlanEntry device = special("checkpoint/null", EntryType::CharDevice);
        device.dev_major = 1;
        device.dev_minor = 3;
        return plan.entries.push_back(std::move(device));
    }
    }
}

} // namespace ckimg::gen
