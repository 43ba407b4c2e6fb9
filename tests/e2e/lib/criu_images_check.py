#!/usr/bin/python3
"""Checks a checkpoint's CRIU images with CRIU's own decoder (pycriu, what `crit decode` runs).

Usage: criu_images_check.py [--allow-stale] CHECKPOINT_DIR [STATS_DUMP]

Every image decodes (raw data files excepted: pages-*.img and the tmpfs tarballs), and the
records agree with each other: pstree.img's processes each have core-<tid>.img per thread and
mm-, pagemap-, ids- and fs-<pid>.img; each pagemap's head names a pages-<id>.img whose size is
the pages its entries map; no pages file is left unnamed. One line on stderr and exit 1 on the
first problem; a summary on stdout otherwise.

--allow-stale: images of pids that pstree.img does not list are reported, not refused. Real
Podman archives have them: `podman container checkpoint -R` (leave running) dumps into the same
directory each time, and the images of processes gone since an earlier dump stay there (CRIU
reads only what pstree.img names).
"""
import os
import struct
import sys

try:
    import pycriu
except ImportError:
    print("pycriu is not installed (Debian: apt-get install criu; tools/install-deps does)",
          file=sys.stderr)
    sys.exit(2)

PAGE = 4096
RAW = ("pages-", "amdgpu-pages-")


def fail(message):
    print("criu_images_check: " + message, file=sys.stderr)
    sys.exit(1)


def is_raw(name):
    return name.startswith(RAW) or name.endswith(".tar.gz.img") or name.endswith(".tar.img")


def decode(path):
    try:
        with open(path, "rb") as f:
            return pycriu.images.load(f)
    except Exception as error:  # pycriu raises bare Exceptions and protobuf's DecodeError
        fail("%s: crit cannot decode it: %s" % (os.path.basename(path), error))


def varints(message):
    """The varint fields of a protobuf message: {field number: value}."""
    fields, i = {}, 0
    while i < len(message):
        key, i = read_varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields[number], i = read_varint(message, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            length, i = read_varint(message, i)
            i += length
        elif wire == 5:
            i += 4
        else:
            raise ValueError("wire type %d" % wire)
    return fields


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def pagemap_pages(path):
    """(pages_id, pages mapped) of a pagemap image. CRIU 4 moved nr_pages to field 5 (64-bit)
    and writes 0 in the old field 2, which an older crit still prints: read both."""
    with open(path, "rb") as f:
        data = f.read()
    offset, records = 8, []
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        records.append(data[offset + 4:offset + 4 + length])
        offset += 4 + length
    if not records:
        fail("%s: no pagemap head" % os.path.basename(path))
    pages_id = varints(records[0]).get(1)
    total = 0
    for record in records[1:]:
        fields = varints(record)
        total += fields.get(5, fields.get(2, 0))
    return pages_id, total


def main():
    args = sys.argv[1:]
    allow_stale = bool(args) and args[0] == "--allow-stale"
    if allow_stale:
        args = args[1:]
    if len(args) not in (1, 2):
        fail("usage: criu_images_check.py [--allow-stale] CHECKPOINT_DIR [STATS_DUMP]")
    directory = args[0]
    names = sorted(os.listdir(directory))
    images = [n for n in names if n.endswith(".img")]
    if "inventory.img" not in images or "pstree.img" not in images:
        fail("%s: no inventory.img or pstree.img" % directory)
    decoded = {}
    for name in images:
        if not is_raw(name):
            decoded[name] = decode(os.path.join(directory, name))
    if len(args) == 2:
        decode(args[1])
    inventory = decoded["inventory.img"]["entries"]
    if len(inventory) != 1 or "img_version" not in inventory[0]:
        fail("inventory.img: not one entry with an img_version")
    processes = decoded["pstree.img"]["entries"]
    if not processes:
        fail("pstree.img: no process")
    pids = [p["pid"] for p in processes]
    if len(set(pids)) != len(pids):
        fail("pstree.img: a pid twice: %s" % pids)
    if processes[0].get("ppid", 0) != 0:
        fail("pstree.img: the first process has a parent")
    for process in processes[1:]:
        if process.get("ppid") not in pids:
            fail("pstree.img: pid %d's parent %s is not in the tree" % (process["pid"], process.get("ppid")))
    named_pages = set()
    for process in processes:
        pid = process["pid"]
        threads = process.get("threads") or [pid]
        for tid in threads:
            if "core-%d.img" % tid not in decoded:
                fail("pid %d: no core-%d.img for its thread" % (pid, tid))
            core = decoded["core-%d.img" % tid]["entries"]
            if len(core) != 1 or "tc" not in core[0] and tid == pid:
                fail("core-%d.img: not one core entry with a task core" % tid)
        for kind in ("mm", "pagemap", "ids", "fs"):
            name = "%s-%d.img" % (kind, pid)
            if name not in decoded:
                fail("pid %d: no %s" % (pid, name))
            if len(decoded[name]["entries"]) < 1:
                fail("%s: no entries" % name)
        pages_id, pages = pagemap_pages(os.path.join(directory, "pagemap-%d.img" % pid))
        pages_name = "pages-%d.img" % pages_id
        if pages_name not in names:
            fail("pagemap-%d.img: names %s, which is missing" % (pid, pages_name))
        size = os.path.getsize(os.path.join(directory, pages_name))
        if size != pages * PAGE:
            fail("pagemap-%d.img maps %d pages (%d bytes) but %s holds %d bytes"
                 % (pid, pages, pages * PAGE, pages_name, size))
        named_pages.add(pages_name)
    stale = []
    for name in names:
        if name.startswith("pages-") and name not in named_pages:
            stale.append(name)
    for name in names:
        for kind in ("core", "mm", "pagemap"):
            if name.startswith(kind + "-") and name.endswith(".img"):
                number = name[len(kind) + 1:-4]
                if not number.isdigit():
                    continue
                owners = pids if kind != "core" else [t for p in processes for t in (p.get("threads") or [p["pid"]])]
                if int(number) not in owners:
                    stale.append(name)
    if stale and not allow_stale:
        fail("%s: not named by pstree.img or a pagemap" % ", ".join(stale))
    print("%s: %d images decoded, %d processes, %d pages files consistent%s"
          % (directory, len(decoded), len(processes), len(named_pages),
             ", stale (from an earlier dump): " + " ".join(stale) if stale else ""))


main()
