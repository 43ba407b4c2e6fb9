// What goes into a checkpoint archive, entry by entry and in order, before any byte is written.
// Small files are held in memory; the pages file is described and generated while writing.
#pragma once

#include "options.hpp"
#include "scenario.hpp"
#include "tar_writer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckimg::gen {

struct PlanEntry {
    std::string path; // no "./" and no trailing '/'; "." is the archive root
    EntryType type = EntryType::File;
    unsigned mode = 0600;
    std::string data;
    std::optional<std::uint64_t> pages_seed; // set: content is PageGenerator output
    std::uint64_t pages_size = 0;
    std::string link_target;
    unsigned dev_major = 0;
    unsigned dev_minor = 0;

    std::uint64_t size() const { return pages_seed ? pages_size : data.size(); }
};

struct ArchivePlan {
    std::vector<PlanEntry> entries;
    std::optional<std::string> truncate_in; // --bad truncated: cut the archive in this file
};

// A valid archive of the engine's layout, in the engine's order or lexically sorted.
// `pages_size` must be a multiple of the page size.
ArchivePlan build_plan(const Options& options, const Scenario& scenario, std::uint64_t pages_size);

// Sorts like a directory walk: path components compared one by one, parents first.
void sort_lexically(std::vector<PlanEntry>& entries);

} // namespace ckimg::gen
