#!/usr/bin/env bash
# The checkpoint image formats end to end against a real registry (CNCF distribution 2.8):
# for each format and each engine, archive -> build --format F --push -> export from the
# registry -> the same entries, in the same order, with the same headers and contents, as the
# original (and as ckimg-gen's manifest says); inspect of the registry copy reports the
# archive's facts; convert crio -> oci-checkpoint -> crio is digest-identical to building
# crio from the archive; podman from a CRI-O archive warns; skopeo reads and copies the
# oci-checkpoint artifact; a normal image made with buildah is "not a checkpoint image";
# hostile names in a layer are refused with nothing written.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo
need buildah
need zstd

start_registry plain
F=("${REG_PUSH_FLAGS[@]}") # --insecure

# listing TAR: one line per entry in archive order: name (no "./", no trailing "/"), type,
# mode, uid, gid, mtime, size, link target, sha256 of the contents.
listing() {
    "$REG_PYTHON" - "$1" <<'PY'
import hashlib, sys, tarfile
with tarfile.open(sys.argv[1], "r:*") as tar:
    for m in tar:
        name = m.name[2:] if m.name.startswith("./") else m.name
        name = name.rstrip("/")
        if not name or name == ".":
            continue
        data = hashlib.sha256(tar.extractfile(m).read()).hexdigest() if m.isfile() else "-"
        print(name, m.type.decode(), oct(m.mode & 0o7777), m.uid, m.gid, m.mtime, m.size,
              m.linkname or "-", data)
PY
}

# matches_manifest TAR MANIFEST: ckimg-gen's manifest of what it wrote: the entries in that
# order, every file with its sha256, size and mode.
matches_manifest() {
    "$REG_PYTHON" - "$1" "$2" <<'PY' || fail "$1 does not hold what $2 lists"
import hashlib, json, sys, tarfile
want = json.load(open(sys.argv[2]))
norm = lambda n: n[2:].rstrip("/") if n.startswith("./") else n.rstrip("/")
with tarfile.open(sys.argv[1]) as tar:
    members = [m for m in tar if norm(m.name) not in ("", ".")]
    files = {norm(m.name): (hashlib.sha256(tar.extractfile(m).read()).hexdigest(), m.size,
                            m.mode & 0o7777) for m in members if m.isfile()}
names = [norm(m.name) for m in members]
listed = [norm(e["name"]) for e in want["entries"] if norm(e["name"]) not in ("", ".")]
assert names == listed, f"order: {names} != {listed}"
for path, f in want["files"].items():
    assert files[norm(path)] == (f["sha256"], f["size"], int(f["mode"], 8)), path
PY
}

facts() { # inspect --json ... -> the checkpoint facts every copy must agree on
    "$CKIMG" inspect --json "$@" | "$REG_PYTHON" -c '
import json, sys
c = json.load(sys.stdin)["checkpoint"]
print(json.dumps({k: c.get(k) or "" for k in ("container", "pod", "namespace", "engine", "runtime",
                                         "image")}, sort_keys=True))'
}

for engine in crio containerd podman; do
    archive=$WORK/$engine.tar
    "$CKIMG_GEN" --engine "$engine" -o "$archive" --pages-size 4M --manifest-file "$WORK/$engine.manifest.json" ||
        fail "ckimg-gen --engine $engine failed"
    listing "$archive" >"$WORK/$engine.listing"
    for format in crio podman oci-checkpoint; do
        step "$format from a $engine archive: build --push, export from the registry"
        ref=$REG_HOST/rt/$engine-$format:v1
        "$CKIMG" build "$archive" --format "$format" --push "$ref" "${F[@]}" -q \
            2>"$WORK/build.err" || fail "build --format $format: $(cat "$WORK/build.err")"
        if [[ $format == podman && $engine != podman ]]; then
            assert_contains "$(cat "$WORK/build.err")" "ckimg: warning: the archive was made by" "podman warning"
            assert_eq 1 "$(wc -l <"$WORK/build.err")" "one warning line"
        else
            assert_eq "" "$(cat "$WORK/build.err")" "stderr of a quiet build"
        fi
        assert_eq complete "$(reg_image_state "rt/$engine-$format" v1)" "image in the registry"
        out=$WORK/$engine-$format.export.tar
        "$CKIMG" export "$ref" "$out" "${F[@]}" --json >"$WORK/export.json" ||
            fail "export $ref failed"
        assert_eq "$format" "$(json_get "$WORK/export.json" 'd["format"]')" "format detected"
        assert_eq 600 "$(stat -c %a "$out")" "exported archive mode"
        listing "$out" >"$WORK/$engine-$format.listing"
        diff "$WORK/$engine.listing" "$WORK/$engine-$format.listing" ||
            fail "$format/$engine: exported entries differ from the archive's"
        matches_manifest "$out" "$WORK/$engine.manifest.json"
        rm -rf "$WORK/a" "$WORK/b" && mkdir "$WORK/a" "$WORK/b"
        tar -C "$WORK/a" -xf "$archive" && tar -C "$WORK/b" -xf "$out"
        diff -r "$WORK/a" "$WORK/b" || fail "$format/$engine: extracted trees differ"
        assert_eq "$(facts "$archive")" "$(facts "$ref" "${F[@]}")" "$format/$engine: inspect facts"
    done
done

step "a compressed archive with ./ names: the same entries, as a plain tar"
"$CKIMG_GEN" --engine podman -o "$WORK/dot.tar.zst" --pages-size 1M --dot-prefix --compress zstd
"$CKIMG" build "$WORK/dot.tar.zst" -o "oci:$WORK/dot:latest" --format oci-checkpoint -q
"$CKIMG" export "oci:$WORK/dot:latest" "$WORK/dot.export.tar" -q
zstd -q -dc "$WORK/dot.tar.zst" >"$WORK/dot.plain.tar" # python's tarfile has no zstd
diff <(listing "$WORK/dot.plain.tar") <(listing "$WORK/dot.export.tar") || fail "./-prefixed archive"
[[ $(tar -tf "$WORK/dot.export.tar" | head -1) != ./* ]] || fail "the export keeps a ./ prefix"

step "convert crio -> oci-checkpoint -> crio through the registry: lossless, digest-identical"
"$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/direct:latest" --format crio -q
"$CKIMG" convert "$REG_HOST/rt/crio-crio:v1" --format oci-checkpoint --push "$REG_HOST/rt/conv:std" \
    -o "oci:$WORK/std:latest" "${F[@]}" --json >"$WORK/conv1.json" || fail "convert to oci-checkpoint"
assert_eq crio "$(json_get "$WORK/conv1.json" 'd["sourceFormat"]')" "convert source format"
assert_eq "$(layout_digest "$WORK/std" latest)" "$(reg_manifest_digest rt/crio-oci-checkpoint v1)" \
    "oci-checkpoint converted from crio == built from the archive"
"$CKIMG" convert "$REG_HOST/rt/conv:std" --format crio -o "oci:$WORK/back:latest" "${F[@]}" -q ||
    fail "convert back to crio"
assert_eq "$(layout_digest "$WORK/direct" latest)" "$(layout_digest "$WORK/back" latest)" \
    "crio -> oci-checkpoint -> crio gives the image built from the archive"
ck_fails 2 'unknown format "docker"' badfmt convert "oci:$WORK/back:latest" --format docker -o "oci:$WORK/x:latest"
assert_file_absent "$WORK/x"

step "a tampered memory pages blob: export and convert fail on its digest, nothing written"
"$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/tampered:latest" --format oci-checkpoint --compression none -q
pages=$(json_get "$WORK/tampered/blobs/sha256/$(json_get "$WORK/tampered/blobs/sha256/$(json_get \
    "$WORK/tampered/index.json" 'd["manifests"][0]["digest"][7:]')" 'd["manifests"][0]["digest"][7:]')" \
    'd["layers"][-1]["digest"][7:]')
chmod u+w "$WORK/tampered/blobs/sha256/$pages"
printf 'X' | dd of="$WORK/tampered/blobs/sha256/$pages" bs=1 seek=100000 conv=notrunc status=none
ck_fails 1 "does not match its digest" tampered-export export "oci:$WORK/tampered:latest" "$WORK/tampered.tar"
assert_file_absent "$WORK/tampered.tar"
ck_fails 1 "does not match its digest" tampered-convert convert "oci:$WORK/tampered:latest" \
    --format crio -o "oci:$WORK/tampered-crio:latest"
assert_file_absent "$WORK/tampered-crio"
# The source's own error, not the build's view of a stream that stopped.
! grep -q "truncated or corrupt" "$WORK/tampered-convert.err" ||
    fail "convert wrapped the source's error: $(cat "$WORK/tampered-convert.err")"

step "convert takes build's flags (--annotation, --label, --platform, --created, --max-size, --push-tag)"
"$CKIMG" convert "oci:$WORK/std:latest" --format crio -o "oci:$WORK/flags:latest" \
    --annotation org.example.note=hello --label team=ops --platform linux/arm64 \
    --created 2026-01-02T03:04:05Z --push "$REG_HOST/rt/conv:flags" --push-tag flags2 \
    "${F[@]}" --json >"$WORK/flags.json" || fail "convert with build's flags"
python3 - "$WORK/flags" <<'PY' || fail "convert's flags are not in the image"
import json, sys, os
d = sys.argv[1]
blob = lambda digest: json.load(open(os.path.join(d, "blobs/sha256", digest.split(":")[1])))
node = blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])
while "manifests" in node:
    node = blob(node["manifests"][0]["digest"])
config = blob(node["config"]["digest"])
assert node.get("annotations", {}).get("org.example.note") == "hello", node.get("annotations")
assert config["config"]["Labels"]["team"] == "ops", config["config"]
assert config["architecture"] == "arm64", config["architecture"]
assert config["created"] == "2026-01-02T03:04:05Z", config["created"]
PY
[[ -n $(reg_manifest_digest rt/conv flags2) ]] || fail "--push-tag flags2 is not on the registry"
ck_fails 1 "limit (--max-size)" convert-max-size convert "oci:$WORK/std:latest" --format crio \
    -o "oci:$WORK/small:latest" --max-size 1K
assert_file_absent "$WORK/small"

step "skopeo reads and copies the oci-checkpoint artifact"
reg_skopeo_inspect_raw rt/crio-oci-checkpoint:v1 >"$WORK/raw-index.json"
manifest=$(json_get "$WORK/raw-index.json" 'd["manifests"][0]["digest"]')
assert_eq application/vnd.oci.image.checkpoint.v1 "$(json_get "$WORK/raw-index.json" 'd["manifests"][0]["artifactType"]')" "index artifactType"
reg_skopeo_inspect_raw "rt/crio-oci-checkpoint@$manifest" >"$WORK/raw-manifest.json"
assert_eq application/vnd.oci.image.checkpoint.config.v1+json "$(json_get "$WORK/raw-manifest.json" 'd["config"]["mediaType"]')" "config media type"
assert_eq 4 "$(json_get "$WORK/raw-manifest.json" 'len(d["layers"])')" "component layers"
skopeo inspect --raw --config "${REG_SKOPEO_FLAGS[@]}" "docker://$REG_HOST/rt/crio-oci-checkpoint:v1" >"$WORK/config.json"
assert_eq counter "$(json_get "$WORK/config.json" 'd["container"]["name"]')" "config read by skopeo"
if "$REG_PYTHON" -c 'import jsonschema' 2>/dev/null; then
    "$REG_PYTHON" - "$CKIMG_SOURCE_DIR/spec" "$WORK/config.json" "$WORK/raw-manifest.json" <<'PY' ||
import json, sys
from jsonschema import Draft202012Validator
spec, config, manifest = sys.argv[1:]
for schema, doc in (("checkpoint-config", json.load(open(config))),
                    ("checkpoint-annotations", json.load(open(manifest))["annotations"])):
    Draft202012Validator(json.load(open(f"{spec}/{schema}.schema.json"))).validate(doc)
PY
        fail "the config or the annotations do not follow spec/*.schema.json"
else
    echo "  (python jsonschema missing: schemas not checked)" >&2
fi
# One manifest, digest preserved. (skopeo 1.9's --all cannot keep the digest of an index whose
# descriptors carry artifactType: its index type predates the field.)
skopeo --policy "$REG_POLICY" copy -q --preserve-digests "${REG_SKOPEO_SRC_FLAGS[@]}" \
    "docker://$REG_HOST/rt/crio-oci-checkpoint:v1" "oci:$WORK/skopeo-copy:latest" || fail "skopeo copy"
assert_eq "$manifest" "$(json_get "$WORK/skopeo-copy/index.json" 'd["manifests"][0]["digest"]')" \
    "skopeo keeps the artifact manifest's digest"
"$CKIMG" export "oci:$WORK/skopeo-copy:latest" "$WORK/skopeo.export.tar" -q
diff "$WORK/crio.listing" <(listing "$WORK/skopeo.export.tar") || fail "export of skopeo's copy"

step "a normal image (buildah) is not a checkpoint; the buildah recipe's image is"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
# buildah insists that the (isolated, empty) DOCKER_CONFIG it is pointed at holds a file.
B=(env -u DOCKER_CONFIG buildah --root "$WORK/buildah-root" --runroot "$WORK/buildah-run")
on_exit "${B[*]} rm --all >/dev/null 2>&1; ${B[*]} rmi --all -f >/dev/null 2>&1"
echo hello >"$WORK/hello.txt"
ctr=$("${B[@]}" from scratch)
"${B[@]}" add "$ctr" "$WORK/hello.txt" / >/dev/null
"${B[@]}" commit -q "$ctr" normal:latest >/dev/null
"${B[@]}" push -q normal:latest "oci:$WORK/normal:latest"
reg_skopeo_push "$WORK/normal:latest" rt/normal:v1
ck_fails 1 "not a checkpoint image" normal export "$REG_HOST/rt/normal:v1" "$WORK/normal.tar" "${F[@]}"
assert_file_absent "$WORK/normal.tar"
[[ -z $(find "$WORK" -maxdepth 1 -name '.normal.tar.*') ]] || fail "a temporary file was left behind"

step "subject: a checkpoint linked to its image, on a registry without the referrers API"
base=$(reg_manifest_digest rt/normal v1)
"$CKIMG" build "$WORK/crio.tar" --format oci-checkpoint --base-image "$REG_HOST/rt/normal:v1" \
    --push "$REG_HOST/rt/normal:counter-ckpt" "${F[@]}" -q 2>"$WORK/subject.err" ||
    fail "build --base-image: $(cat "$WORK/subject.err")"
# The archive pins another image than the one given: said once, on one line.
assert_contains "$(cat "$WORK/subject.err")" "ckimg: warning: the base image given is $base" "mismatch warning"
assert_eq 1 "$(wc -l <"$WORK/subject.err")" "one warning line"
reg_skopeo_inspect_raw rt/normal:counter-ckpt >"$WORK/subject-index.json"
reg_skopeo_inspect_raw "rt/normal@$(json_get "$WORK/subject-index.json" 'd["manifests"][0]["digest"]')" \
    >"$WORK/subject-manifest.json"
assert_eq "$base" "$(json_get "$WORK/subject-manifest.json" 'd["subject"]["digest"]')" "subject digest"
assert_eq 404 "$(reg_curl GET "/v2/rt/normal/referrers/$base" -o /dev/null -w '%{http_code}')" \
    "distribution 2.8 has no referrers API (clients fall back to the tag schema)"
# So ckimg keeps the referrers tag schema: an index under sha256-<hex> of the base image lists
# the checkpoint manifest with its artifactType and annotations.
checkpoint_manifest=$(json_get "$WORK/subject-index.json" 'd["manifests"][0]["digest"]')
reg_skopeo_inspect_raw "rt/normal:sha256-${base#sha256:}" >"$WORK/referrers.json" ||
    fail "no referrers tag sha256-${base#sha256:} for the base image"
assert_eq "$checkpoint_manifest" "$(json_get "$WORK/referrers.json" '" ".join(m["digest"] for m in d["manifests"])')" \
    "the referrers tag lists the checkpoint manifest"
assert_eq application/vnd.oci.image.checkpoint.v1 \
    "$(json_get "$WORK/referrers.json" 'd["manifests"][0]["artifactType"]')" "referrer's artifactType"
assert_eq counter \
    "$(json_get "$WORK/referrers.json" 'd["manifests"][0]["annotations"]["org.opencontainers.image.checkpoint.name"]')" \
    "referrer's annotations"
# Pushing the same checkpoint again (here from a layout, the other push path) lists it once.
"$CKIMG" build "$WORK/crio.tar" --format oci-checkpoint --base-image "$REG_HOST/rt/normal:v1" \
    -o "oci:$WORK/subject-layout:latest" "${F[@]}" -q 2>/dev/null
"$CKIMG" push "oci:$WORK/subject-layout:latest" "$REG_HOST/rt/normal:again" "${F[@]}" -q
reg_skopeo_inspect_raw "rt/normal:sha256-${base#sha256:}" >"$WORK/referrers2.json"
assert_eq 1 "$(json_get "$WORK/referrers2.json" 'len(d["manifests"])')" "a referrer is listed once"
"$CKIMG" export "$REG_HOST/rt/normal:counter-ckpt" "$WORK/subject.tar" "${F[@]}" -q
diff "$WORK/crio.listing" <(listing "$WORK/subject.tar") || fail "export of the image with a subject"

ctr=$("${B[@]}" from scratch)
"${B[@]}" add "$ctr" "$WORK/crio.tar" / >/dev/null
"${B[@]}" config --annotation=io.kubernetes.cri-o.annotations.checkpoint.name=counter "$ctr"
"${B[@]}" commit -q "$ctr" recipe:latest >/dev/null
"${B[@]}" push -q recipe:latest "oci:$WORK/recipe:latest"
"$CKIMG" export "oci:$WORK/recipe:latest" "$WORK/recipe.tar" -q || fail "export of the recipe's image"
diff <(sort "$WORK/crio.listing" | cut -d' ' -f1,2,3,7,9) <(listing "$WORK/recipe.tar" | sort | cut -d' ' -f1,2,3,7,9) ||
    fail "the buildah recipe's image exports the archive's files"

step "a layer that names a path outside the tree: refused, nothing written"
mkdir -p "$WORK/evil"
ln -s ../../etc "$WORK/evil/escape"
tar -C "$WORK/evil" -cf "$WORK/evil.tar" escape
ctr=$("${B[@]}" from scratch)
"${B[@]}" add "$ctr" "$WORK/evil.tar" / >/dev/null
"${B[@]}" config --annotation=io.kubernetes.cri-o.annotations.checkpoint.name=evil "$ctr"
"${B[@]}" commit -q "$ctr" evil:latest >/dev/null
"${B[@]}" push -q evil:latest "oci:$WORK/evil-img:latest"
ck_fails 1 "points outside" evil export "oci:$WORK/evil-img:latest" "$WORK/evil.export.tar"
assert_file_absent "$WORK/evil.export.tar"

echo "test_formats_roundtrip: ok" >&2
