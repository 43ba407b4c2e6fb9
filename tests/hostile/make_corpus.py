#!/usr/bin/env python3
"""Writes the hostile-input corpus of tests/e2e/test_hostile_inputs.sh (python3 stdlib only).

    make_corpus.py archives OUT_DIR       checkpoint archives, OUT_DIR/<name>.tar[.gz|.zst]
    make_corpus.py layouts GOOD OUT_DIR   OCI layouts derived from the valid layout GOOD,
                                          OUT_DIR/<name>/ (and oci-archive files <name>.tar)
    make_corpus.py seeds OUT_DIR          small valid inputs for the fuzz corpus

Every input is generated at test time from a small valid checkpoint written here byte by byte
(a hand-made ustar writer: a library would refuse to write most of these), so no binary blob is
committed. The names printed on stdout, one a line, are the rows tests/hostile/expected.tsv must
hold: the runner checks that table and corpus agree both ways.
"""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

BLOCK = 512
RECORD = 20 * BLOCK

# --- a ustar writer ---------------------------------------------------------------------------


def number(value, width):
    """A numeric header field: NUL-terminated octal, or GNU base-256 when it does not fit."""
    if 0 <= value < 8 ** (width - 1):
        return b"%0*o\0" % (width - 1, value)
    raw = (value % (1 << (8 * width))).to_bytes(width, "big")
    if value >= 0:
        return bytes([0x80]) + raw[1:]
    return bytes([0xFF]) + raw[1:]


def checksum(block):
    return sum(block[:148]) + 8 * 32 + sum(block[156:])


def header(name, size=0, typeflag=b"0", mode=0o644, linkname=b"", devmajor=0, devminor=0,
           prefix=b"", extra=None):
    if isinstance(name, str):
        name = name.encode()
    if isinstance(linkname, str):
        linkname = linkname.encode()
    h = bytearray(BLOCK)
    h[0:100] = name[:100].ljust(100, b"\0")
    h[100:108] = number(mode, 8)
    h[108:116] = number(0, 8)
    h[116:124] = number(0, 8)
    h[124:136] = number(size, 12)
    h[136:148] = number(1767225600, 12)  # 2026-01-01
    h[156:157] = typeflag
    h[157:257] = linkname[:100].ljust(100, b"\0")
    h[257:265] = b"ustar\x0000"
    h[265:297] = b"root".ljust(32, b"\0")
    h[297:329] = b"root".ljust(32, b"\0")
    h[329:337] = number(devmajor, 8)
    h[337:345] = number(devminor, 8)
    h[345:500] = prefix.ljust(155, b"\0")
    for offset, value in (extra or {}).items():
        h[offset:offset + len(value)] = value
    h[148:156] = b"%06o\0 " % checksum(h)
    return bytes(h)


def padded(data):
    return data + b"\0" * (-len(data) % BLOCK)


class Member:
    """One archive member: its header(s) and data, with the offsets tests cut at."""

    def __init__(self, name, head, data=b""):
        self.name = name
        self.head = head
        self.data = data

    def bytes(self):
        return self.head + padded(self.data)


def file(name, data, mode=0o600, **kw):
    if isinstance(data, str):
        data = data.encode()
    return Member(name, header(name, len(data), b"0", mode, **kw), data)


def directory(name, mode=0o700):
    return Member(name, header(name, 0, b"5", mode))


def symlink(name, target):
    return Member(name, header(name, 0, b"2", 0o777, target))


def hardlink(name, target):
    return Member(name, header(name, 0, b"1", 0o600, target))


def device(name, typeflag, major, minor):
    return Member(name, header(name, 0, typeflag, 0o666, devmajor=major, devminor=minor))


def gnu_longname(name, then):
    """A GNU 'L' record naming the next member `name` (any length, any bytes)."""
    body = name + b"\0"
    return Member(name, header("././@LongLink", len(body), b"L") + padded(body) + then.head,
                  then.data)


def pax_record(key, value):
    if isinstance(value, str):
        value = value.encode()
    payload = b" " + key.encode() + b"=" + value + b"\n"
    length = len(payload)
    while len(b"%d" % length) + len(payload) != length:
        length = len(b"%d" % length) + len(payload)
    return b"%d" % length + payload


def pax(records, then):
    """A pax extended header ('x') whose records apply to the next member."""
    body = b"".join(pax_record(k, v) for k, v in records)
    return Member(then.name, header("PaxHeaders/0", len(body), b"x") + padded(body) + then.head,
                  then.data)


def tar(members, end_blocks=2, record=True):
    out = b"".join(m.bytes() for m in members) + b"\0" * (BLOCK * end_blocks)
    if record:
        out += b"\0" * (-len(out) % RECORD)
    return out


# --- the valid checkpoint everything derives from ----------------------------------------------

CONFIG = {
    "id": "5f1e" * 16,
    "name": "hostile",
    "rootfsImageName": "registry.example/team/app:1.0",
    "rootfsImageRef": "sha256:" + "ab" * 32,
    "runtime": "runc",
    "createdTime": "2026-01-01T00:00:00Z",
    "checkpointedTime": "2026-01-02T00:00:00Z",
}
SPEC = {
    "ociVersion": "1.0.2",
    "annotations": {
        "io.container.manager": "cri-o",
        "io.kubernetes.container.name": "hostile",
        "io.kubernetes.pod.name": "hostile-pod",
        "io.kubernetes.pod.namespace": "default",
    },
}
# A CRIU core image head: magic (img_common, core), a record length, CoreEntry.mtype = x86_64.
CORE = (0x54564319).to_bytes(4, "little") + (0x55053847).to_bytes(4, "little") + \
    (6).to_bytes(4, "little") + bytes([0x08, 0x01]) + b"\0" * 50
PAGES = bytes((i * 7 + 3) % 251 for i in range(4096 + 300))  # not a multiple of 512


def base_members(config=None, spec=None):
    return [
        file("config.dump", json.dumps(CONFIG if config is None else config)
             if not isinstance(config, bytes) else config),
        file("spec.dump", json.dumps(SPEC if spec is None else spec)
             if not isinstance(spec, bytes) else spec),
        directory("checkpoint/"),
        file("checkpoint/core-1.img", CORE),
        file("checkpoint/pages-1.img", PAGES),
    ]


def with_extra(*extra):
    return tar(base_members() + list(extra))


def with_config(config_bytes):
    return tar(base_members(config=config_bytes))


def with_spec(spec_bytes):
    return tar(base_members(spec=spec_bytes))


def gzip_bytes(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def zstd_bytes(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def deep_json(depth):
    return b"[" * depth + b"]" * depth


# --- archives -----------------------------------------------------------------------------------


def truncations(base):
    """Cuts of the uncompressed valid archive at each structural boundary: inside and after each
    header, inside and at the end of each file's data (before its padding), at each member
    boundary, inside and between the end-of-archive blocks, before the record padding."""
    cuts = {"trunc-empty": 0}
    offset = 0
    for index, member in enumerate(base_members()):
        tag = f"m{index}-{member.name.strip('/').replace('/', '-').replace('.', '-')}"
        if index > 0:
            cuts[f"trunc-before-{tag}"] = offset
        cuts[f"trunc-mid-header-{tag}"] = offset + 100
        cuts[f"trunc-header-end-{tag}"] = offset + 511
        data_start = offset + BLOCK
        if member.data:
            cuts[f"trunc-after-header-{tag}"] = data_start
            cuts[f"trunc-mid-data-{tag}"] = data_start + len(member.data) // 2
            if len(member.data) % BLOCK:
                cuts[f"trunc-before-padding-{tag}"] = data_start + len(member.data)
                cuts[f"trunc-mid-padding-{tag}"] = data_start + len(member.data) + 1
        offset = data_start + len(padded(member.data))
    cuts["trunc-before-end-blocks"] = offset
    cuts["trunc-mid-end-block"] = offset + 200
    cuts["trunc-between-end-blocks"] = offset + BLOCK
    cuts["trunc-mid-second-end-block"] = offset + BLOCK + 200
    cuts["trunc-before-record-padding"] = offset + 2 * BLOCK
    assert max(cuts.values()) < len(base)
    return {name: base[:cut] for name, cut in cuts.items()}


def corrupt_checksum(data, member_index):
    """Flips a byte of a member's name, leaving the header checksum stale."""
    offset = sum(len(m.bytes()) for m in base_members()[:member_index])
    out = bytearray(data)
    out[offset + 1] ^= 0x20
    return bytes(out)


def rewrite_header(data, member_index, edit):
    """Applies edit(bytearray header) to a member's header, then fixes its checksum."""
    offset = sum(len(m.bytes()) for m in base_members()[:member_index])
    out = bytearray(data)
    block = bytearray(out[offset:offset + BLOCK])
    edit(block)
    block[148:156] = b"%06o\0 " % checksum(block)
    out[offset:offset + BLOCK] = block
    return bytes(out)


def gzip_bomb(total, declared_name="checkpoint/pages-2.img"):
    """A valid checkpoint whose extra file holds `total` zero bytes, as concatenated gzip members
    (gzip -d and libarchive read them as one stream): a few MiB that inflate to `total`."""
    piece = 64 << 20
    assert total % piece == 0
    zeros = gzip_bytes(b"\0" * piece, 9)
    head = b"".join(m.bytes() for m in base_members()) + header(declared_name, total, b"0", 0o600)
    tail = b"\0" * (2 * BLOCK)
    return gzip_bytes(head) + zeros * (total // piece) + gzip_bytes(tail)


def zstd_bomb(total, declared_name="checkpoint/pages-2.img"):
    piece = 64 << 20
    zeros = zstd_bytes(b"\0" * piece)
    head = b"".join(m.bytes() for m in base_members()) + header(declared_name, total, b"0", 0o600)
    return zstd_bytes(head) + zeros * (total // piece) + zstd_bytes(b"\0" * (2 * BLOCK))


def sparse_bomb():
    """An old-GNU sparse file ('S') of 1 TiB holding one 512-byte block: 2.5 KiB of tar that
    reads as a terabyte of zeros."""
    realsize = 1 << 40
    extra = {
        386: number(realsize - BLOCK, 12) + number(BLOCK, 12),  # sparse[0]: offset, numbytes
        482: b"\0",  # isextended
        483: number(realsize, 12),
    }
    block = bytearray(header("checkpoint/pages-2.img", BLOCK, b"S", 0o600, extra=extra))
    block[257:265] = b"ustar  \0"  # the old GNU magic
    block[148:156] = b"%06o\0 " % checksum(block)
    return tar(base_members() + [Member("checkpoint/pages-2.img", bytes(block), b"\x01" * BLOCK)])


def many_entries(count):
    """`count` empty directories after the checkpoint: 512 bytes each, a few KiB compressed."""
    chunks = [b"".join(m.bytes() for m in base_members())]
    template = bytearray(header("checkpoint/d0000000/", 0, b"5", 0o700))
    template[148:156] = b" " * 8
    base_sum = sum(template)
    for i in range(count):
        digits = b"%07d" % i
        block = bytearray(template)
        block[12:19] = digits
        block[148:156] = b"%06o\0 " % (base_sum - 7 * 48 + sum(digits))
        chunks.append(bytes(block))
    chunks.append(b"\0" * (2 * BLOCK))
    return gzip_bytes(b"".join(chunks), 1)


def long_names(total_bytes):
    """Directory entries with 4000-byte names (GNU long names) adding up to `total_bytes`."""
    chunks = [b"".join(m.bytes() for m in base_members())]
    count = total_bytes // 4000 + 1
    for i in range(count):
        name = b"checkpoint/" + (b"%07d" % i) * (3989 // 7) + b"/"
        chunks.append(gnu_longname(name, Member("", header("x/", 0, b"5", 0o700))).bytes())
    chunks.append(b"\0" * (2 * BLOCK))
    return gzip_bytes(b"".join(chunks), 1)


def archives():
    base = tar(base_members())
    out = {"valid": base, "valid-gz": gzip_bytes(base), "valid-zst": zstd_bytes(base)}
    out.update(truncations(base))
    gz = gzip_bytes(base)
    zst = zstd_bytes(base)
    out.update({
        "gz-trunc-in-header": gz[:5],
        "gz-trunc-half": gz[:len(gz) // 2],
        "gz-trunc-no-trailer": gz[:-8],
        "gz-trunc-half-trailer": gz[:-4],
        "gz-bad-crc": gz[:-8] + bytes(b ^ 0xFF for b in gz[-8:-4]) + gz[-4:],
        "gz-bad-length": gz[:-4] + bytes(b ^ 0xFF for b in gz[-4:]),
        "gz-trailing-garbage": gz + b"this is not gzip",
        "zst-trunc-half": zst[:len(zst) // 2],
        "zst-trunc-last-byte": zst[:-1],
        "not-an-archive": b"#!/bin/sh\necho this is not a checkpoint\n" * 40,
        # Corrupt headers.
        "bad-checksum-first": corrupt_checksum(base, 0),
        "bad-checksum-third": corrupt_checksum(base, 2),
        "size-not-octal": rewrite_header(base, 3, lambda h: h.__setitem__(
            slice(124, 136), b"zzzzzzzzzzz\0")),
        "size-negative": rewrite_header(base, 3, lambda h: h.__setitem__(
            slice(124, 136), number(-4096, 12))),
        "size-beyond-end": rewrite_header(base, 4, lambda h: h.__setitem__(
            slice(124, 136), number(8 << 30, 12))),
        # Names.
        "dotdot": with_extra(file("checkpoint/../../evil", "escaped\n")),
        "dotdot-bare": with_extra(file("..", "escaped\n")),
        "dotdot-pax": with_extra(pax([("path", "../../evil")], file("harmless", "escaped\n"))),
        "dotdot-control-chars": with_extra(file("checkpoint/\x1b]0;owned\x07\n/../evil", "x")),
        "absolute": with_extra(file("/etc/evil", "escaped\n")),
        "absolute-pax": with_extra(pax([("path", "/etc/evil")], file("harmless", "x"))),
        "empty-name": with_extra(Member("", header(b"", 1, b"0", 0o600), b"x")),
        "symlink-out": with_extra(symlink("checkpoint/link", "../../../etc/passwd")),
        "symlink-absolute": with_extra(symlink("checkpoint/link", "/etc/shadow")),
        "symlink-then-write-through": with_extra(symlink("checkpoint/dir", "."),
                                                 file("checkpoint/dir/x", "through\n")),
        "symlink-pax-linkpath": with_extra(pax([("linkpath", "../../../../root")],
                                               symlink("checkpoint/link", "ok"))),
        "hardlink-out": with_extra(hardlink("checkpoint/hard", "../outside")),
        "hardlink-absolute": with_extra(hardlink("checkpoint/hard", "/etc/passwd")),
        "hardlink-forward": with_extra(hardlink("checkpoint/hard", "checkpoint/later.img"),
                                       file("checkpoint/later.img", "x")),
        "hardlink-to-directory": with_extra(hardlink("checkpoint/hard", "checkpoint")),
        "device-char": with_extra(device("checkpoint/null", b"3", 1, 3)),
        "device-block": with_extra(device("checkpoint/sda", b"4", 8, 0)),
        "fifo": with_extra(device("checkpoint/fifo", b"6", 0, 0)),
        "file-replaces-directory": with_extra(file("checkpoint", "a file where a dir was\n")),
        "directory-replaces-file": with_extra(directory("config.dump/")),
        "file-under-file": with_extra(file("checkpoint/pages-1.img/x", "x")),
        "duplicate-config": with_extra(file("config.dump", json.dumps(dict(CONFIG, name="x")))),
        "duplicate-normalised": with_extra(file("./checkpoint//pages-1.img", "x")),
        "name-over-path-max": with_extra(gnu_longname(b"checkpoint/" + b"n" * 5000,
                                                      file("placeholder", "x"))),
        "name-over-path-max-pax": with_extra(pax([("path", "checkpoint/" + "p" * 5000)],
                                                 file("placeholder", "x"))),
        "name-not-utf8": with_extra(file(b"checkpoint/\xff\xfe\x80.img", "x")),
        "name-overlong-utf8": with_extra(file(b"checkpoint/\xc0\xae\xc0\xae/x", "x")),
        # Metadata.
        "config-huge": with_config(b'{"name": "x", "pad": "' + b"A" * (17 << 20) + b'"}'),
        "spec-huge": with_spec(b" " * (16 << 20) + b"{}"),
        "config-deep": with_config(deep_json(100000)),
        "spec-deep": with_spec(deep_json(100000)),
        "config-not-object": with_config(b'["name", "hostile"]'),
        "config-name-number": with_config(b'{"name": 42}'),
        "config-name-object": with_config(b'{"name": {"first": "x"}}'),
        "config-number-overflow": with_config(b'{"name": "web", "restored": 1e999}'),
        "config-empty": with_config(b""),
        "config-bad-utf8": with_config(b'{"name": "\xff\xfe"}'),
        "config-is-directory": tar([directory("config.dump/")] + base_members()[1:]),
        "config-is-symlink": tar([symlink("config.dump", "spec.dump")] + base_members()[1:]),
        "spec-not-object": with_spec(b'"a string"'),
        "spec-metadata-deep": with_spec(json.dumps({"annotations": {
            "io.container.manager": "cri-o",
            "io.kubernetes.cri-o.Metadata": "[" * (8 << 20)}}).encode()),
        "no-checkpoint-dir": tar(base_members()[:2]),
        # Bombs.
        "bomb-gzip-4g": gzip_bomb(4 << 30),
        "bomb-zstd-4g": zstd_bomb(4 << 30),
        "bomb-sparse-1t": sparse_bomb(),
        "bomb-entries": many_entries(200_000),
        "bomb-names": long_names(34 << 20),
        "pax-header-huge": gzip_bytes(tar(base_members()[:4] + [
            pax([("comment", "x" * (64 << 20))], base_members()[4])]), 1),
    })
    return out


def archive_suffix(name, data):
    if data[:2] == b"\x1f\x8b":
        return ".tar.gz"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return ".tar.zst"
    return ".tar"


# --- layouts ------------------------------------------------------------------------------------


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    """A copy of a valid layout, edited in place."""

    def __init__(self, good, path):
        shutil.copytree(good, path)
        self.path = path
        self.index = json.load(open(os.path.join(path, "index.json")))

    def blob_path(self, digest):
        return os.path.join(self.path, "blobs", *digest.split(":"))

    def read(self, digest):
        return open(self.blob_path(digest), "rb").read()

    def read_json(self, digest):
        return json.loads(self.read(digest))

    def put(self, data):
        digest = sha256(data)
        with open(self.blob_path(digest), "wb") as out:
            out.write(data)
        return digest

    def put_json(self, value):
        return self.put(json.dumps(value, separators=(",", ":")).encode())

    def write_index(self, value=None, raw=None):
        data = raw if raw is not None else json.dumps(value or self.index).encode()
        with open(os.path.join(self.path, "index.json"), "wb") as out:
            out.write(data)

    @property
    def root(self):
        return self.index["manifests"][0]

    def manifest_descriptor(self):
        """The image manifest under the root (the root is an index in ckimg's layouts)."""
        return self.read_json(self.root["digest"])["manifests"][0]

    def set_root_index(self, index_value):
        """Stores `index_value` as the root index blob and points index.json at it."""
        data = json.dumps(index_value, separators=(",", ":")).encode()
        self.root["digest"] = self.put(data)
        self.root["size"] = len(data)
        self.write_index()


def layouts(good, out_dir):
    made = {}

    def new(name):
        layout = Layout(good, os.path.join(out_dir, name))
        made[name] = layout.path
        return layout

    new("layout-valid")
    new("layout-index-not-json").write_index(raw=b"this is not JSON {")
    new("layout-index-deep").write_index(raw=deep_json(100000))
    new("layout-index-huge").write_index(raw=b'{"manifests": [], "pad": "' + b"x" * (17 << 20) +
                                         b'"}')
    new("layout-index-no-manifests").write_index({"schemaVersion": 2})
    new("layout-index-manifests-string").write_index({"schemaVersion": 2, "manifests": "x"})
    layout = new("layout-descriptor-media-type-number")
    layout.root["mediaType"] = 5
    layout.write_index()
    layout = new("layout-descriptor-size-negative")
    layout.root["size"] = -1
    layout.write_index()
    layout = new("layout-descriptor-size-float")
    layout.root["size"] = 1.5
    layout.write_index()
    layout = new("layout-descriptor-annotation-number")
    layout.root["annotations"]["org.opencontainers.image.ref.name"] = 7
    layout.write_index()
    layout = new("layout-digest-traversal")
    layout.root["digest"] = "sha256:../../../../../../etc/passwd"
    layout.write_index()
    layout = new("layout-digest-algorithm")
    layout.root["digest"] = "md5:d41d8cd98f00b204e9800998ecf8427e"
    layout.write_index()
    layout = new("layout-missing-index-blob")
    os.unlink(layout.blob_path(layout.root["digest"]))
    layout = new("layout-missing-manifest-blob")
    os.unlink(layout.blob_path(layout.manifest_descriptor()["digest"]))
    layout = new("layout-missing-layer-blob")
    manifest = layout.read_json(layout.manifest_descriptor()["digest"])
    os.unlink(layout.blob_path(manifest["layers"][0]["digest"]))
    layout = new("layout-manifest-digest-mismatch")
    path = layout.blob_path(layout.manifest_descriptor()["digest"])
    with open(path, "ab") as out:
        out.write(b" ")
    layout = new("layout-layer-size-mismatch")
    manifest = layout.read_json(layout.manifest_descriptor()["digest"])
    with open(layout.blob_path(manifest["layers"][0]["digest"]), "ab") as out:
        out.write(b"appended")
    # An index naming itself: its bytes would have to hold their own digest, so the file stored
    # under the name it gives is never what it says (and the walk stops there).
    layout = new("layout-index-self-reference")
    root = layout.read_json(layout.root["digest"])
    root["manifests"].append(dict(layout.root, annotations={}))
    data = json.dumps(root, separators=(",", ":")).encode()
    with open(layout.blob_path(layout.root["digest"]), "wb") as out:
        out.write(data)
    # Indexes nested deeper than any real image: each a valid index holding the next.
    layout = new("layout-index-nesting")
    child = dict(layout.root)
    child.pop("annotations", None)
    for _ in range(6):
        data = json.dumps({"schemaVersion": 2, "mediaType": child["mediaType"],
                           "manifests": [child]}, separators=(",", ":")).encode()
        child = {"mediaType": "application/vnd.oci.image.index.v1+json",
                 "digest": layout.put(data), "size": len(data)}
    layout.root.update(child)
    layout.write_index()
    layout = new("layout-root-unknown-media-type")
    layout.root["mediaType"] = "application/x-evil"
    layout.write_index()
    layout = new("layout-child-unknown-media-type")
    root = layout.read_json(layout.root["digest"])
    root["manifests"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    layout.set_root_index(root)
    layout = new("layout-manifest-not-object")
    root = layout.read_json(layout.root["digest"])
    data = b"[1, 2, 3]"
    root["manifests"][0].update(digest=layout.put(data), size=len(data))
    layout.set_root_index(root)
    layout = new("layout-manifest-deep")
    root = layout.read_json(layout.root["digest"])
    data = deep_json(1 << 20)
    root["manifests"][0].update(digest=layout.put(data), size=len(data))
    layout.set_root_index(root)
    layout = new("layout-manifest-huge")
    root = layout.read_json(layout.root["digest"])
    data = b'{"pad": "' + b"x" * (5 << 20) + b'"}'
    root["manifests"][0].update(digest=layout.put(data), size=len(data))
    layout.set_root_index(root)
    layout = new("layout-manifest-layer-is-manifest")
    root = layout.read_json(layout.root["digest"])
    manifest = layout.read_json(root["manifests"][0]["digest"])
    manifest["layers"].append(dict(root["manifests"][0]))
    data = json.dumps(manifest, separators=(",", ":")).encode()
    root["manifests"][0].update(digest=layout.put(data), size=len(data))
    layout.set_root_index(root)
    layout = new("layout-manifest-layers-wrong-type")
    root = layout.read_json(layout.root["digest"])
    manifest = layout.read_json(root["manifests"][0]["digest"])
    manifest["layers"] = "not a list"
    data = json.dumps(manifest, separators=(",", ":")).encode()
    root["manifests"][0].update(digest=layout.put(data), size=len(data))
    layout.set_root_index(root)
    # Two layers of 2^63-1 bytes each: their sum is no int64 (inspect's layersSize).
    layout = new("layout-layers-size-overflow")
    root = layout.read_json(layout.root["digest"])
    manifest = layout.read_json(root["manifests"][0]["digest"])
    manifest["layers"] = [dict(manifest["layers"][0], size=(1 << 63) - 1),
                          dict(manifest["layers"][0], size=(1 << 63) - 1)]
    data = json.dumps(manifest, separators=(",", ":")).encode()
    root["manifests"][0].update(digest=layout.put(data), size=len(data))
    layout.set_root_index(root)
    layout = new("layout-platform-wrong-types")
    root = layout.read_json(layout.root["digest"])
    root["manifests"][0]["platform"] = {"os": 1, "architecture": ["amd64"]}
    layout.set_root_index(root)

    # oci-archive files: the same tar shapes `ckimg push oci-archive:` must refuse.
    entries = [file(os.path.relpath(os.path.join(d, f), good).replace(os.sep, "/"),
                    open(os.path.join(d, f), "rb").read())
               for d, _, files in sorted(os.walk(good)) for f in sorted(files)]
    for name, members in {
        "ociarchive-dotdot": entries + [file("blobs/../../evil", "x")],
        "ociarchive-absolute": entries + [file("/tmp/evil", "x")],
        "ociarchive-symlink": entries + [symlink("blobs/link", "/etc/passwd")],
        "ociarchive-hardlink": entries + [hardlink("blobs/hard", "index.json")],
        "ociarchive-file-then-dir": [file("blobs", "x")] + entries,
        "ociarchive-device": entries + [device("blobs/null", b"3", 1, 3)],
    }.items():
        path = os.path.join(out_dir, name + ".tar")
        with open(path, "wb") as out:
            out.write(tar(members))
        made[name] = path
    data = tar(entries)
    for name, blob in {"ociarchive-truncated": data[:len(data) // 2],
                       "ociarchive-not-tar": b"not a tar " * 100}.items():
        path = os.path.join(out_dir, name + ".tar")
        with open(path, "wb") as out:
            out.write(blob)
        made[name] = path
    return made


# --- fuzz seeds ---------------------------------------------------------------------------------


def seeds(out_dir):
    """The committed seed corpus fuzz/corpus/<target>/ (re-generate: make_corpus.py seeds)."""
    base = tar(base_members(), record=False)
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + "b" * 64, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + "c" * 64, "size": 4096,
                    "annotations": {"org.opencontainers.image.title": "ckpt"}}],
        "annotations": {"io.kubernetes.cri-o.annotations.checkpoint.name": "counter",
                        "org.opencontainers.image.base.name": "registry.example/app:1"},
    }
    index = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + "a" * 64, "size": 512,
                       "platform": {"os": "linux", "architecture": "amd64"},
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "d" * 64]}}
    dump = lambda value: json.dumps(value, separators=(",", ":")).encode()
    files = {
        "fuzz_archive/valid.tar": base,
        "fuzz_archive/valid.tar.gz": gzip_bytes(base, 9),
        "fuzz_archive/valid.tar.zst": zstd_bytes(base),
        "fuzz_archive/links.tar": tar(base_members() + [
            symlink("checkpoint/link", "pages-1.img"),
            hardlink("checkpoint/hard", "checkpoint/core-1.img"),
            pax([("path", "checkpoint/pax-name.img")], file("x", "pax")),
            gnu_longname(b"checkpoint/" + b"l" * 150, file("y", "long"))], record=False),
        "fuzz_checkpoint_metadata/crio": dump(CONFIG) + b"\0" + dump(SPEC) + b"\0" + CORE,
        "fuzz_checkpoint_metadata/containerd": dump({"name": "c", "id": "1"}) + b"\0" + dump(
            {"annotations": {"io.kubernetes.cri.container-name": "c"},
             "linux": {"seccomp": {"architectures": ["SCMP_ARCH_AARCH64"]}}}),
        "fuzz_checkpoint_metadata/podman": dump({"name": "p", "pod": "pp"}) + b"\0" + dump(
            {"annotations": {"io.container.manager": "libpod"}}),
        "fuzz_image_json/manifest.json": dump(manifest),
        "fuzz_image_json/index.json": dump(index),
        "fuzz_image_json/config.json": dump(config),
        "fuzz_layout/image": dump(index) + b"\0" + dump(manifest) + b"\0" + dump(config),
        "fuzz_layout/nested": dump(dict(index, manifests=[dict(
            index["manifests"][0], mediaType="application/vnd.oci.image.index.v1+json")])) +
        b"\0" + dump(index) + b"\0" + b"{}",
        "fuzz_reference/hub": b"ubuntu",
        "fuzz_reference/tagged": b"docker://registry.example.com:5000/team/app:v1.2-rc_3",
        "fuzz_reference/digest": b"[::1]:5000/a/b@sha256:" + b"e" * 64,
        "fuzz_reference/both": b"localhost/x__y/z--w:tag@sha512:" + b"f" * 128,
        "fuzz_www_authenticate/bearer": b'Bearer realm="https://auth.example/token",'
                                        b'service="registry.example",scope="repository:a:pull"',
        "fuzz_www_authenticate/several": b'Basic realm="x", Bearer realm=https://a/t,error='
                                         b'"insufficient_scope"\0Negotiate abc=',
        "fuzz_auth_file/auths": dump({"auths": {
            "registry.example.com:5000": {"auth": "dXNlcjpwYXNz"},
            "https://index.docker.io/v1/": {"auth": "dTpw", "identitytoken": "tok"},
            "registry.example.com:5000/team": {"username": "u", "password": "p"}}}),
        "fuzz_auth_file/helpers": dump({"credHelpers": {"docker.io": "none"},
                                        "credsStore": "desktop", "auths": {}}),
        "fuzz_registry_answers/errors": dump({"errors": [
            {"code": "UNAUTHORIZED", "message": "authentication required", "detail": None}]}),
        "fuzz_registry_answers/retry-after-seconds": b"120",
        "fuzz_registry_answers/retry-after-date": b"Wed, 21 Oct 2015 07:28:00 GMT",
        "fuzz_registry_answers/location": b"/v2/team/app/blobs/uploads/abc?_state=xyz",
        "fuzz_registry_answers/location-other": b"https://user:pw@storage.example:8443/b?sig=1",
    }
    for path, data in files.items():
        os.makedirs(os.path.join(out_dir, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(out_dir, path), "wb") as out:
            out.write(data)


def main(argv):
    if len(argv) == 3 and argv[1] == "archives":
        os.makedirs(argv[2], exist_ok=True)
        for name, data in archives().items():
            with open(os.path.join(argv[2], name + archive_suffix(name, data)), "wb") as out:
                out.write(data)
            print(name)
    elif len(argv) == 4 and argv[1] == "layouts":
        os.makedirs(argv[3], exist_ok=True)
        for name in layouts(argv[2], argv[3]):
            print(name)
    elif len(argv) == 3 and argv[1] == "seeds":
        seeds(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
