#include "rootfs_diff.hpp"

#include "go_json.hpp"
#include "tar_writer.hpp"

#include <vector>

namespace ckimg::gen {

namespace {

struct DiffEntry {
    std::string name;
    EntryType type;
    unsigned mode;
    std::string data;
};

std::string app_conf(const Scenario& s) {
    return "# " + s.comm +
           " settings, rewritten at run time\nlisten = 0.0.0.0:8080\n"
           "log_level = debug\ninterval = 1s\nstate_file = /tmp/" +
           s.comm + ".log\n";
}

std::string counter_log(const Scenario& s) {
    std::string log;
    for (int i = 0; i < 40; ++i) {
        log += s.comm + ": " + std::to_string(i) + "\n";
    }
    return log;
}

// containerd's layer: directories of changed files, and ".wh.<name>" for the deleted /etc/motd.
std::vector<DiffEntry> layer_entries(const Scenario& s) {
    return {{"etc/", EntryType::Directory, 0755, ""},
            {"etc/.wh.motd", EntryType::File, 0, ""},
            {"etc/app.conf", EntryType::File, 0644, app_conf(s)},
            {"tmp/", EntryType::Directory, 01777, ""},
            {"tmp/" + s.comm + ".log", EntryType::File, 0644, counter_log(s)}};
}

// CRI-O and Podman (crutils.CRCreateRootFsDiffTar): only added and modified regular files.
std::vector<DiffEntry> changed_files(const Scenario& s) {
    return {{"etc/app.conf", EntryType::File, 0644, app_conf(s)},
            {"tmp/" + s.comm + ".log", EntryType::File, 0644, counter_log(s)}};
}

void write_entries(ByteSink& sink, const std::vector<DiffEntry>& entries, std::int64_t mtime) {
    TarWriter tar(sink);
    for (const DiffEntry& e : entries) {
        TarHeader header;
        header.name = e.name;
        header.type = e.type;
        header.mode = e.mode;
        header.size = e.data.size();
        header.mtime = mtime;
        tar.header(header);
        tar.data(e.data);
    }
    tar.finish();
}

} // namespace

RootfsDiff make_rootfs_diff(const Scenario& s) {
    const std::int64_t mtime = s.checkpointed.seconds - 30;
    StringSink sink;
    RootfsDiff diff;
    if (s.engine == Engine::Containerd) {
        CompressingSink gzip(sink, Compression::Gzip);
        write_entries(gzip, layer_entries(s), mtime);
    } else {
        write_entries(sink, changed_files(s), mtime);
        diff.deleted_files = go_indent(Json::array({"/etc/motd"}));
    }
    diff.tar = std::move(sink.data());
    return diff;
}

} // namespace ckimg::gen
