// Deliberately invalid archives (--bad KIND), each one defect in an otherwise valid archive, so
// tests can check that every reader refuses it cleanly.
#pragma once

#include "archive_plan.hpp"
#include "options.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace ckimg::gen {

struct BadKindInfo {
    BadKind kind;
    std::string_view name;
    std::string_view description;
};

std::span<const BadKindInfo> bad_kinds();
std::string_view to_string(BadKind kind);
std::optional<BadKind> parse_bad_kind(std::string_view name);

// Applies one defect to a valid plan. Two kinds are not plan changes: NotTar (the generator
// writes random bytes instead) and TruncatedStream (the finished file is cut).
void apply_bad_kind(BadKind kind, ArchivePlan& plan);

} // namespace ckimg::gen
