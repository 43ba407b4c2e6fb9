#!/usr/bin/env bash
# What ckimg reports about a real Podman checkpoint equals what Podman recorded: `ckimg validate`
# of the archive and `ckimg inspect` of ckimg's image and of Podman's own --create-image image,
# against `podman container inspect` of the container and the archive's own files (config.dump,
# the sizes of its entries).
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
start_counter ctr
checkpoint_export ctr "$WORK/ctr.tar.zst"
node a podman container inspect ctr >"$WORK/podman.json"
node a podman container checkpoint --leave-running --create-image localhost/ctr-ckpt:v1 ctr >/dev/null
node a podman push -q --tls-verify=false localhost/ctr-ckpt:v1 "$REG_HOST/facts/podman:v1"

"$CKIMG" validate "$WORK/ctr.tar.zst" --json >"$WORK/validate.json" || fail "ckimg validate of Podman's archive failed"
"$CKIMG" build "$WORK/ctr.tar.zst" --format podman -o "oci:$WORK/img:v1" -q || fail "ckimg build failed"
"$CKIMG" inspect "oci:$WORK/img:v1" --json >"$WORK/inspect-ckimg.json" || fail "ckimg inspect of its image failed"
"$CKIMG" inspect "$REG_HOST/facts/podman:v1" --insecure --json >"$WORK/inspect-podman.json" ||
    fail "ckimg inspect of Podman's image failed"

# The archive's own facts, read with Python's tarfile (zstd decompressed first).
zstd -dcq "$WORK/ctr.tar.zst" >"$WORK/ctr.tar"
python3 - "$WORK" <<'PY' || fail "ckimg's facts differ from Podman's (above)"
import json, sys, tarfile
work = sys.argv[1]
load = lambda name: json.load(open(f"{work}/{name}"))
podman = load("podman.json")[0]
validate, mine, theirs = load("validate.json"), load("inspect-ckimg.json"), load("inspect-podman.json")
with tarfile.open(f"{work}/ctr.tar") as tar:
    members = tar.getmembers()
    config = json.load(tar.extractfile("config.dump"))
size = lambda pred: sum(m.size for m in members if m.isfile() and pred(m.name))
expected = {
    "engine": "Podman",
    "container": podman["Name"],
    "containerId": podman["Id"],
    "image": podman["ImageName"],
    "imageId": podman["Image"],
    "runtime": podman["OCIRuntime"],
    "created": config["createdTime"],
    "entries": len(members),
    "criuDumpSize": size(lambda n: n.startswith("checkpoint/")),
    "memoryPagesSize": size(lambda n: n.startswith("checkpoint/pages-")),
    "rootfsDiffSize": size(lambda n: n == "rootfs-diff.tar"),
}
assert config["id"] == podman["Id"], "config.dump is not this container's"
bad = []
def check(what, report, keys):
    for key in keys:
        if report.get(key) != expected[key]:
            bad.append(f"{what}: {key} is {report.get(key)!r}, Podman recorded {expected[key]!r}")
check("validate", validate, expected)
# An image records the facts, not the archive's sizes (null when the image does not say), nor
# the container's ID.
facts = ["engine", "container", "image", "imageId", "runtime"]
check("inspect of ckimg's image", mine["checkpoint"], facts)
check("inspect of Podman's image", theirs["checkpoint"], facts)
for line in bad:
    print("FAIL:", line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "PASS: validate and inspect report what Podman recorded"
