#include "criu_images.hpp"

#include "pages.hpp"
#include "protobuf.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace ckimg::gen {

namespace {

// criu/include/magic.h
constexpr std::uint32_t kImgCommonMagic = 0x54564319;
constexpr std::uint32_t kImgServiceMagic = 0x55105940;
constexpr std::uint32_t kInventoryMagic = 0x58313116;
constexpr std::uint32_t kPstreeMagic = 0x50273030;
constexpr std::uint32_t kFdinfoMagic = 0x56213732;
constexpr std::uint32_t kPagemapMagic = 0x56084025;
constexpr std::uint32_t kCoreMagic = 0x55053847;
constexpr std::uint32_t kIdsMagic = 0x54432030;
constexpr std::uint32_t kUtsnsMagic = 0x54473203;
constexpr std::uint32_t kFsMagic = 0x51403912;
constexpr std::uint32_t kMmMagic = 0x57492820;
constexpr std::uint32_t kFilesMagic = 0x56303138;
constexpr std::uint32_t kStatsMagic = 0x57093306;

// criu/include/image.h and pagemap.h
constexpr std::uint32_t kVmaRegular = 1u << 0;
constexpr std::uint32_t kVmaStack = 1u << 1;
constexpr std::uint32_t kVmaVdso = 1u << 3;
constexpr std::uint32_t kVmaHeap = 1u << 5;
constexpr std::uint32_t kVmaFilePrivate = 1u << 6;
constexpr std::uint32_t kVmaAnonPrivate = 1u << 9;
constexpr std::uint32_t kPagemapPresent = 1u << 2;
constexpr std::uint32_t kTaskAlive = 1;
constexpr std::uint32_t kImagesV1_1 = 2; // CRTOOLS_IMAGES_V1_1: the img_version CRIU writes

// <sys/mman.h>
constexpr std::uint32_t kProtRead = 1, kProtWrite = 2, kProtExec = 4;
constexpr std::uint32_t kMapPrivate = 0x02, kMapAnonymous = 0x20, kMapGrowsdown = 0x100;

constexpr std::uint64_t kPage = kPageSize;

// Kernel object IDs as CRIU numbers them: the container's (pid 1) and CRIU's own (inventory's
// root_ids; the host's namespaces, so different).
struct KobjIds {
    std::uint32_t vm, files, fs, sighand, pid_ns, net_ns, ipc_ns, uts_ns, mnt_ns, user_ns, cg_ns;
};
constexpr KobjIds kTaskIds{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
constexpr KobjIds kRootIds{12, 13, 14, 15, 16, 17, 18, 19, 20, 10, 21};

// File IDs in files.img.
constexpr std::uint32_t kRootDirId = 1, kCwdId = 2, kExeId = 3, kDevNullId = 4;

struct Vma {
    std::uint64_t start;
    std::uint64_t end;
    std::uint32_t prot;
    std::uint32_t flags;
    std::uint32_t status;
    std::uint64_t dumped_pages; // present pages that CRIU writes to pages-1.img
    bool file_backed;
};

// One image file: [head magic] magic, then [u32 length][message] records, little-endian.
class CriuImage {
public:
    CriuImage(std::uint32_t head_magic, std::uint32_t magic) {
        if (head_magic != 0) { // inventory.img carries only its own magic
            u32(head_magic);
        }
        u32(magic);
    }

    CriuImage& add(const PbMessage& record) {
        u32(static_cast<std::uint32_t>(record.bytes().size()));
        bytes_ += record.bytes();
        return *this;
    }

    std::string take() { return std::move(bytes_); }

private:
    void u32(std::uint32_t value) {
        for (int i = 0; i < 4; ++i, value >>= 8) {
            bytes_ += static_cast<char>(value & 0xff);
        }
    }

    std::string bytes_;
};

// core_entry.march
std::uint32_t criu_march(const std::string& arch) {
    if (arch == "amd64") {
        return 1;
    }
    if (arch == "arm") {
        return 2;
    }
    if (arch == "arm64") {
        return 3;
    }
    if (arch == "ppc64le") {
        return 4;
    }
    return arch == "s390x" ? 5 : 0;
}

std::string uname_machine(const std::string& arch) {
    if (arch == "amd64") {
        return "x86_64";
    }
    if (arch == "arm64") {
        return "aarch64";
    }
    return arch == "386" ? "i686" : arch;
}

// Spreads the dumped pages over a plausible address space: a little in the executable's data,
// the stack and the heap, the bulk in one big anonymous mapping (a JVM heap, a cache...).
std::vector<Vma> memory_layout(std::uint64_t pages) {
    std::uint64_t left = pages;
    const auto take = [&left](std::uint64_t want) {
        const std::uint64_t n = std::min(want, left);
        left -= n;
        return n;
    };
    const std::uint64_t data = take(8), stack = take(32), heap = take(4096), arena = left;
    const std::uint64_t text = 0x55d0c8a00000ULL, brk = 0x55d0ca000000ULL;
    const std::uint64_t mmap_base = 0x7f3c00000000ULL, stack_top = 0x7ffd5a33e000ULL;
    const std::uint32_t anon = kMapPrivate | kMapAnonymous;
    std::vector<Vma> vmas{{text, text + 64 * kPage, kProtRead | kProtExec, kMapPrivate,
                           kVmaRegular | kVmaFilePrivate, 0, true},
                          {text + 64 * kPage, text + 72 * kPage, kProtRead | kProtWrite,
                           kMapPrivate, kVmaRegular | kVmaFilePrivate, data, true},
                          {brk, brk + std::max<std::uint64_t>(heap, 33) * kPage,
                           kProtRead | kProtWrite, anon, kVmaRegular | kVmaAnonPrivate | kVmaHeap,
                           heap, false}};
    if (arena > 0) {
        vmas.push_back({mmap_base, mmap_base + arena * kPage, kProtRead | kProtWrite, anon,
                        kVmaRegular | kVmaAnonPrivate, arena, false});
    }
    vmas.push_back({stack_top - 33 * kPage, stack_top, kProtRead | kProtWrite, anon | kMapGrowsdown,
                    kVmaRegular | kVmaAnonPrivate | kVmaStack, stack, false});
    vmas.push_back({stack_top + 0xbe000, stack_top + 0xc0000, kProtRead | kProtExec, anon,
                    kVmaRegular | kVmaVdso, 0, false});
    return vmas;
}

PbMessage kobj_ids(const KobjIds& ids) {
    PbMessage m;
    m.uint(1, ids.vm).uint(2, ids.files).uint(3, ids.fs).uint(4, ids.sighand);
    m.uint(5, ids.pid_ns).uint(6, ids.net_ns).uint(7, ids.ipc_ns).uint(8, ids.uts_ns);
    m.uint(9, ids.mnt_ns).uint(10, ids.user_ns).uint(11, ids.cg_ns);
    return m;
}

std::string inventory_img(const Scenario& s) {
    PbMessage inventory;
    inventory.uint(1, kImagesV1_1).uint(2, 1).message(3, kobj_ids(kRootIds)).uint(4, 1);
    inventory.uint(5, 1).uint(6, 2); // root_cg_set, lsmtype APPARMOR
    // dump_uptime: microseconds since boot; any stable value near the checkpoint does.
    inventory.uint(8, static_cast<std::uint64_t>(s.checkpointed.seconds % 864000) * 1000000);
    return CriuImage(0, kInventoryMagic).add(inventory).take();
}

std::string pstree_img() {
    PbMessage entry; // pid, ppid, pgid, sid, threads: pid 1 of the container's pid namespace
    entry.uint(1, 1).uint(2, 0).uint(3, 1).uint(4, 1).uint(5, 1);
    return CriuImage(kImgCommonMagic, kPstreeMagic).add(entry).take();
}

std::string core_img(const Scenario& s) {
    PbMessage task; // task_core_entry
    task.uint(1, kTaskAlive).uint(2, 0).uint(3, 0).uint(4, 0x400100).uint(5, 0).string(6, s.comm);
    task.uint(9, 1).uint(13, 4294967295u).int64(14, 0);
    PbMessage thread; // thread_core_entry: futex_rla, futex_rla_len, sched_nice, sched_policy
    thread.uint(1, 0).uint(2, 24).sint(3, 0).uint(4, 0);
    PbMessage core;
    core.uint(1, criu_march(s.arch)).message(3, task).message(5, thread);
    return CriuImage(kImgCommonMagic, kCoreMagic).add(core).take();
}

PbMessage vma_entry(const Vma& vma) {
    PbMessage m;
    m.uint(1, vma.start).uint(2, vma.end).uint(3, 0).uint(4, vma.file_backed ? kExeId : 0);
    m.uint(5, vma.prot).uint(6, vma.flags).uint(7, vma.status).sint(8, -1);
    if (vma.file_backed) {
        m.uint(10, 0x8000); // fdflags: O_LARGEFILE
    }
    return m;
}

std::string mm_img(const std::vector<Vma>& vmas) {
    const Vma& text = vmas[0];
    const Vma& data = vmas[1];
    const Vma& heap = vmas[2];
    const std::uint64_t stack_top = vmas[vmas.size() - 2].end;
    PbMessage mm;
    mm.uint(1, text.start).uint(2, text.end).uint(3, data.start).uint(4, data.end);
    mm.uint(5, stack_top - 0x1e0).uint(6, heap.start).uint(7, heap.end);
    mm.uint(8, stack_top - 0xf00).uint(9, stack_top - 0xee8);  // argv
    mm.uint(10, stack_top - 0xee8).uint(11, stack_top - 0x40); // environ
    mm.uint(12, kExeId);
    // Saved auxv pairs: AT_SYSINFO_EHDR (the vdso), AT_PAGESZ, AT_NULL.
    const std::array<std::uint64_t, 6> auxv{33, stack_top + 0xbe000, 6, kPage, 0, 0};
    for (const std::uint64_t word : auxv) {
        mm.uint(13, word);
    }
    for (const Vma& vma : vmas) {
        mm.message(14, vma_entry(vma));
    }
    mm.int64(15, 1); // dumpable
    return CriuImage(kImgCommonMagic, kMmMagic).add(mm).take();
}

// pagemap_head names pages-1.img; each entry maps a run of present pages, in file order. Runs
// are cut at 1 GiB, as holes in real address spaces cut them.
std::string pagemap_img(const std::vector<Vma>& vmas) {
    CriuImage image(kImgCommonMagic, kPagemapMagic);
    image.add(PbMessage().uint(1, 1));
    constexpr std::uint64_t kMaxRun = 262144;
    for (const Vma& vma : vmas) {
        // Stacks grow down: their dumped pages are the top ones.
        std::uint64_t vaddr =
            (vma.status & kVmaStack) != 0 ? vma.end - vma.dumped_pages * kPage : vma.start;
        for (std::uint64_t left = vma.dumped_pages; left > 0;) {
            const std::uint64_t run = std::min(left, kMaxRun);
            image.add(PbMessage().uint(1, vaddr).uint(2, run).uint(4, kPagemapPresent));
            vaddr += run * kPage;
            left -= run;
        }
    }
    return image.take();
}

PbMessage reg_file(std::uint32_t id, std::uint32_t flags, const std::string& name,
                   std::uint32_t mode) {
    PbMessage fown; // uid, euid, signum, pid_type, pid
    fown.uint(1, 0).uint(2, 0).uint(3, 0).uint(4, 0).uint(5, 0);
    PbMessage reg;
    reg.uint(1, id).uint(2, flags).uint(3, 0).message(5, fown).string(6, name);
    reg.sint(7, 1234).uint(10, mode);
    return PbMessage().uint(1, 1).uint(2, id).message(3, reg); // file_entry, type REG
}

std::string files_img(const Scenario& s) {
    CriuImage image(kImgCommonMagic, kFilesMagic);
    image.add(reg_file(kRootDirId, 0x18000, "/", 040755));
    image.add(reg_file(kCwdId, 0x18000, "/", 040755));
    image.add(reg_file(kExeId, 0x8000, s.exe, 0100755));
    image.add(reg_file(kDevNullId, 0x8002, "/dev/null", 020666));
    return image.take();
}

std::string fdinfo_img() {
    CriuImage image(kImgCommonMagic, kFdinfoMagic);
    for (std::uint32_t fd = 0; fd < 3; ++fd) { // id, flags, type REG, fd
        image.add(PbMessage().uint(1, kDevNullId).uint(2, 0).uint(3, 1).uint(4, fd));
    }
    return image.take();
}

std::string fs_img() {
    PbMessage fs; // cwd_id, root_id, umask 022
    fs.uint(1, kCwdId).uint(2, kRootDirId).uint(3, 022);
    return CriuImage(kImgCommonMagic, kFsMagic).add(fs).take();
}

std::string ids_img() {
    return CriuImage(kImgCommonMagic, kIdsMagic).add(kobj_ids(kTaskIds)).take();
}

// The UTS namespace's host name: the pod name under Kubernetes, the short ID under Podman.
std::string utsns_img(const Scenario& s) {
    const std::string nodename = s.engine == Engine::Podman ? s.container_id.substr(0, 12) : s.pod;
    PbMessage uts;
    uts.string(1, nodename).string(2, "(none)");
    return CriuImage(kImgCommonMagic, kUtsnsMagic).add(uts).take();
}

// runc records where the container's stdio pointed (conmon's or the shim's pipes).
std::string descriptors_json(const Scenario& s) {
    const std::uint32_t inode = 30000 + s.host_pid % 20000;
    return "[\"/dev/null\",\"pipe:[" + std::to_string(inode) + "]\",\"pipe:[" +
           std::to_string(inode + 1) + "]\"]";
}

std::string stats_dump(std::uint64_t scanned, std::uint64_t written) {
    PbMessage dump; // dump_stats_entry; times in microseconds
    dump.uint(1, 1873).uint(2, 48213).uint(3, 15702).uint(4, 9644);
    dump.uint(5, scanned).uint(6, 0).uint(7, written).uint(9, 0);
    return CriuImage(kImgServiceMagic, kStatsMagic).add(PbMessage().message(1, dump)).take();
}

std::string log_line(double seconds, const std::string& text) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "(%09.6f) ", seconds);
    return stamp + text + "\n";
}

std::string dump_log(const Scenario& s, std::uint64_t pages) {
    const std::string pid = std::to_string(s.host_pid);
    std::string log;
    log += log_line(0.0, "Version: 3.19 (gitid 0)");
    log += log_line(0.000021, "Running on node-1 Linux 6.1.0-31-" + s.arch +
                                  " #1 SMP PREEMPT_DYNAMIC Debian 6.1.128-1 (2025-02-07) " +
                                  uname_machine(s.arch));
    log += log_line(0.000044, "Would overwrite RPC settings with values from /etc/criu/runc.conf");
    log += log_line(0.000102, "Loaded kdat cache from /run/criu/criu.kdat");
    log += log_line(0.000610, "========================================");
    log += log_line(0.000613, "Dumping processes (pid: " + pid + " comm: " + s.comm + ")");
    log += log_line(0.000615, "========================================");
    log += log_line(0.001877, "Seized task " + pid + ", state 0");
    log += log_line(0.004120, "Collecting maps for " + pid);
    log += log_line(0.015330, "Dumping pages (type: 1 pid: " + pid + ")");
    log += log_line(0.025101, "Transferring pages: " + std::to_string(pages));
    log += log_line(0.049870, "Writing image inventory (version 1)");
    log += log_line(0.050126, "Dumping finished successfully");
    return log;
}

} // namespace

CriuDump make_criu_dump(const Scenario& s, std::uint64_t pages_size) {
    const std::uint64_t pages = pages_size / kPage;
    const std::vector<Vma> vmas = memory_layout(pages);
    std::uint64_t scanned = 0;
    for (const Vma& vma : vmas) {
        scanned += (vma.end - vma.start) / kPage;
    }
    CriuDump dump;
    const std::string uts = "utsns-" + std::to_string(kTaskIds.uts_ns) + ".img";
    const std::string fdinfo = "fdinfo-" + std::to_string(kTaskIds.files) + ".img";
    dump.images = {{"core-1.img", core_img(s)},
                   {"descriptors.json", descriptors_json(s)},
                   {fdinfo, fdinfo_img()},
                   {"files.img", files_img(s)},
                   {"fs-1.img", fs_img()},
                   {"ids-1.img", ids_img()},
                   {"inventory.img", inventory_img(s)},
                   {"mm-1.img", mm_img(vmas)},
                   {"pagemap-1.img", pagemap_img(vmas)},
                   {"pstree.img", pstree_img()},
                   {uts, utsns_img(s)}};
    std::sort(dump.images.begin(), dump.images.end(),
              [](const NamedBlob& a, const NamedBlob& b) { return a.name < b.name; });
    dump.pages_name = "pages-1.img";
    dump.pages_size = pages_size;
    dump.stats_dump = stats_dump(scanned, pages);
    dump.dump_log = dump_log(s, pages);
    return dump;
}

} // namespace ckimg::gen
