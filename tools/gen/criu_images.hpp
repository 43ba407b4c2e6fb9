// CRIU's dump of the container's process: the files of checkpoint/ plus the top-level
// stats-dump and dump.log. Magics and message layouts follow criu/include/magic.h and
// images/*.proto; the contents describe one single-threaded process (pid 1 in its namespace).
#pragma once

#include "scenario.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ckimg::gen {

struct NamedBlob {
    std::string name; // relative to checkpoint/
    std::string data;
};

struct CriuDump {
    std::vector<NamedBlob> images; // checkpoint/ except the pages file, sorted by name
    std::string pages_name;        // "pages-1.img": raw page data, generated while writing
    std::uint64_t pages_size = 0;  // a multiple of the page size
    std::string stats_dump;        // top-level stats-dump
    std::string dump_log;          // top-level dump.log
};

// `pages_size` must be a multiple of kPageSize; the pagemap describes exactly that many pages.
CriuDump make_criu_dump(const Scenario& scenario, std::uint64_t pages_size);

} // namespace ckimg::gen
