#!/usr/bin/env bash
# ckimg inspect and ckimg pull against a real registry (docker-registry, plain HTTP): the same
# checkpoint facts from the archive, the layout, the OCI archive and the registry copy (and no
# layer fetched for it); pull into a layout that skopeo reads with the same digests; and the bad
# inputs: a tampered blob in the registry's storage, a manifest over the size limit, an index
# that names itself, nesting too deep, an unknown media type, a normal (buildah) image.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo
need buildah

start_registry plain
F=("${REG_PUSH_FLAGS[@]}") # --insecure
REPO=e2e/ckpt

# ck_ok NAME ARGS...: ckimg must succeed; its stdout goes to $WORK/NAME.out.
ck_ok() {
    local name=$1 status=0
    shift
    "$CKIMG" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
    [[ $status == 0 ]] || fail "ckimg $* exited $status: $(cat "$WORK/$name.err")"
}
# field NAME EXPR: EXPR (python, on `d`) over the JSON that `ck_ok NAME` printed.
field() { reg_json "$WORK/$1.out" "$2"; }
sha256_file() { echo "sha256:$(sha256sum <"$1" | cut -d' ' -f1)"; }

step "a CRI-O checkpoint, built into a layout, an OCI archive and the registry"
"$CKIMG_GEN" --engine crio --container counter -o "$WORK/ck.tar" --pages-size 4M ||
    fail "ckimg-gen failed"
ck_ok build build "$WORK/ck.tar" -o "oci:$WORK/img:latest" --json
tar -C "$WORK/img" -cf "$WORK/img.oci.tar" .
ck_ok push push "oci:$WORK/img:latest" "$REG_HOST/$REPO:v1" "${F[@]}" --json
DIGEST=$(field push 'd["digest"]')
assert_eq "$(layout_digest "$WORK/img" latest)" "$DIGEST" "pushed digest"
LAYER=$(field build 'd["layers"][0]["digest"]')

step "inspect: the archive, the layout, the OCI archive and the registry copy agree"
ck_ok i-archive inspect "$WORK/ck.tar" --json
ck_ok i-layout inspect "oci:$WORK/img:latest" --json
ck_ok i-ociarchive inspect "oci-archive:$WORK/img.oci.tar:latest" --json
ck_ok i-registry inspect "$REG_HOST/$REPO:v1" "${F[@]}" --json
assert_eq archive "$(field i-archive 'd["type"]')" "type of the archive"
assert_eq counter "$(field i-archive 'd["checkpoint"]["container"]')" "container in the archive"
for key in container pod namespace engine image runtime; do
    want=$(field i-archive "d['checkpoint']['$key']")
    [[ -n $want && $want != None ]] || fail "the archive's inspect has no $key"
    for t in i-layout i-ociarchive i-registry; do
        assert_eq "$want" "$(field $t "d['checkpoint']['$key']")" "$key reported by $t"
    done
done
(($(field i-archive 'd["checkpoint"]["memoryPagesSize"]') >= 4 * 1024 * 1024)) ||
    fail "the archive's memory pages are under 4 MiB"
for t in i-layout i-ociarchive i-registry; do
    assert_eq image "$(field $t 'd["type"]')" "type of $t"
    assert_eq crio "$(field $t 'd["image"]["format"]')" "format reported by $t"
    assert_eq "$DIGEST" "$(field $t 'd["image"]["digest"]')" "digest reported by $t"
    assert_eq "$LAYER" "$(field $t 'd["image"]["layers"][0]["digest"]')" "layer reported by $t"
    assert_eq gzip "$(field $t 'd["image"]["layers"][0]["compression"]')" "compression from $t"
    assert_eq None "$(field $t 'd["checkpoint"]["memoryPagesSize"]')" "pages size from $t"
    assert_eq counter "$(field $t 'd["image"]["annotations"]["io.kubernetes.cri-o.annotations.checkpoint.name"]')" \
        "annotation reported by $t"
done
assert_eq 0 "$(reg_access_count GET "^/v2/$REPO/blobs/$LAYER")" "layer GETs by inspect"
ck_ok i-human inspect "$REG_HOST/$REPO:v1" "${F[@]}"
assert_contains "$(cat "$WORK/i-human.err")" "checkpoint image, format crio" "human inspect"
assert_contains "$(cat "$WORK/i-human.err")" "counter" "human inspect"
ck_ok i-human-archive inspect "$WORK/ck.tar"
assert_contains "$(cat "$WORK/i-human-archive.err")" "memory pages" "human inspect of the archive"

step "pull into a new layout: skopeo sees the registry's digests"
ck_ok pull pull "$REG_HOST/$REPO:v1" -o "oci:$WORK/pulled" "${F[@]}" --json
assert_eq "$DIGEST" "$(field pull 'd["digest"]')" "digest reported by pull"
assert_eq "$DIGEST" "$(layout_digest "$WORK/pulled" v1)" "the pulled tag (the reference's)"
skopeo inspect --raw "oci:$WORK/pulled:v1" >"$WORK/raw.json" || fail "skopeo inspect --raw failed"
assert_eq "$DIGEST" "$(sha256_file "$WORK/raw.json")" "digest of skopeo inspect --raw"
skopeo inspect "oci:$WORK/pulled:v1" >"$WORK/skopeo.json" || fail "skopeo inspect failed"
assert_eq "$LAYER" "$(reg_json "$WORK/skopeo.json" 'd["Layers"][0]')" "layer skopeo sees"
assert_eq "$(layout_blobs "$WORK/img" latest)" "$(layout_blobs "$WORK/pulled" v1)" "blobs pulled"
for blob in $(layout_blobs "$WORK/img" latest) $(layout_manifests "$WORK/img" latest); do
    cmp -s "$WORK/img/blobs/${blob/://}" "$WORK/pulled/blobs/${blob/://}" || fail "blob $blob differs"
done
assert_eq 0 "$(find "$WORK/pulled" -name '.ckimg-tmp-*' | wc -l)" "temporary files left by pull"
assert_eq "$(blob_count "$WORK/img" latest)" "$(field pull 'd["copied"]')" "blobs copied"
ck_ok pull-again pull "$REG_HOST/$REPO:v1" -o "oci:$WORK/pulled:again" "${F[@]}" --json
assert_eq 0 "$(field pull-again 'd["copied"]')" "blobs copied by a second pull"
ck_ok pull-digest pull "$REG_HOST/$REPO@$DIGEST" -o "oci:$WORK/bydigest:mine" "${F[@]}" -q
assert_eq "$DIGEST" "$(layout_digest "$WORK/bydigest" mine)" "pull by digest"
ck_ok i-pulled inspect "oci:$WORK/pulled:v1" --json
assert_eq counter "$(field i-pulled 'd["checkpoint"]["container"]')" "container of the pulled copy"

step "reference errors: a missing tag, a digest the manifest does not have, a bad destination"
ck_fails 1 "404" missing pull "$REG_HOST/$REPO:nope" -o "oci:$WORK/nope" "${F[@]}"
assert_file_absent "$WORK/nope"
WRONG=sha256:$(printf 'other' | sha256sum | cut -d' ' -f1)
ck_fails 1 "" wrong-digest pull "$REG_HOST/$REPO@$WRONG" -o "oci:$WORK/wrong" "${F[@]}"
assert_file_absent "$WORK/wrong"
ck_fails 2 "oci:DIR" archive-dest pull "$REG_HOST/$REPO:v1" -o "oci-archive:$WORK/x.tar" "${F[@]}"
ck_fails 1 "no such file" missing-file inspect "$WORK/missing.tar"

step "a normal image (buildah) is no checkpoint: inspect says so, pull copies it"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
B=(env -u DOCKER_CONFIG buildah --root "$WORK/buildah-root" --runroot "$WORK/buildah-run")
on_exit "${B[*]} rm --all >/dev/null 2>&1; ${B[*]} rmi --all -f >/dev/null 2>&1"
echo hello >"$WORK/hello.txt"
ctr=$("${B[@]}" from scratch)
"${B[@]}" add "$ctr" "$WORK/hello.txt" /hello.txt >/dev/null
"${B[@]}" commit -q "$ctr" plain:latest >/dev/null
"${B[@]}" push -q plain:latest "oci:$WORK/plain:latest"
ck_ok i-plain inspect "oci:$WORK/plain:latest" --json
assert_eq None "$(field i-plain 'd["checkpoint"]')" "checkpoint of a normal image"
assert_eq None "$(field i-plain 'd["image"]["format"]')" "format of a normal image"
ck_ok i-plain-human inspect "oci:$WORK/plain:latest"
assert_contains "$(cat "$WORK/i-plain-human.err")" "not a checkpoint image" "human inspect"
ck_ok push-plain push "oci:$WORK/plain:latest" "$REG_HOST/e2e/plain:v1" "${F[@]}"
ck_ok i-plain-reg inspect "$REG_HOST/e2e/plain:v1" "${F[@]}" --json
assert_eq None "$(field i-plain-reg 'd["checkpoint"]')" "checkpoint of a normal image (registry)"
ck_ok pull-plain pull "$REG_HOST/e2e/plain:v1" -o "oci:$WORK/plain-pulled" "${F[@]}" -q
assert_eq "$(reg_manifest_digest e2e/plain v1)" "$(layout_digest "$WORK/plain-pulled" v1)" \
    "digest of the pulled normal image"

# make_layout DIR: an empty OCI layout; put_blob DIR FILE: stores FILE, prints its digest;
# tag_blob DIR DIGEST MEDIA_TYPE TAG: adds an index.json entry.
make_layout() { mkdir -p "$1/blobs/sha256" && echo '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout" &&
    echo '{"schemaVersion":2,"manifests":[]}' >"$1/index.json"; }
put_blob() {
    local d
    d=$(sha256_file "$2")
    cp "$2" "$1/blobs/sha256/${d#sha256:}"
    echo "$d"
}
tag_blob() {
    "$REG_PYTHON" - "$@" <<'EOF'
import json, os, sys
root, digest, media_type, tag = sys.argv[1:5]
path = os.path.join(root, "index.json")
index = json.load(open(path))
size = os.path.getsize(os.path.join(root, "blobs", "sha256", digest.split(":")[1]))
index["manifests"].append({"mediaType": media_type, "digest": digest, "size": size,
                           "annotations": {"org.opencontainers.image.ref.name": tag}})
json.dump(index, open(path, "w"))
EOF
}
OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
BAD=$WORK/bad
make_layout "$BAD"
ROOT=$(layout_digest "$WORK/img" latest)
MANIFEST=$(reg_json "$WORK/img/blobs/${ROOT/://}" 'd["manifests"][0]["digest"]')
cp "$WORK/img/blobs/sha256/"* "$BAD/blobs/sha256/"

step "a manifest over the size limit (5 MiB): a clear error, nothing pulled"
"$REG_PYTHON" - "$WORK/img/blobs/${MANIFEST/://}" "$WORK/big.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m.setdefault("annotations", {})["padding"] = "x" * (5 << 20)
json.dump(m, open(sys.argv[2], "w"))
EOF
BIG=$(put_blob "$BAD" "$WORK/big.json")
tag_blob "$BAD" "$BIG" "$OCI_MANIFEST" big
ck_fails 1 "over the 4 MiB limit" big-inspect inspect "oci:$BAD:big"
ck_fails 1 "over the 4 MiB limit" big-pull pull "oci:$BAD:big" -o "oci:$WORK/big-pulled"
assert_file_absent "$WORK/big-pulled"
# The registry may store it; then ckimg must refuse it while it arrives.
status=$(reg_curl PUT "/v2/e2e/big/manifests/v1" -H "Content-Type: $OCI_MANIFEST" \
    --data-binary "@$WORK/big.json" -o /dev/null -w '%{http_code}')
if [[ $status == 201 ]]; then
    ck_fails 1 "larger than the 4 MiB limit" big-registry inspect "$REG_HOST/e2e/big:v1" "${F[@]}"
else
    echo "note: the registry refused a 5 MiB manifest (HTTP $status); limit checked on layouts" >&2
fi

step "an index that names itself, and indexes nested too deep: clear errors"
# A real cycle would need a blob to contain its own digest: the digest check is what stops it.
SELF=$(printf '%064d' 7)
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":200}]}' \
    "$OCI_INDEX" "$OCI_INDEX" "$SELF" >"$BAD/blobs/sha256/$SELF"
tag_blob "$BAD" "sha256:$SELF" "$OCI_INDEX" self
ck_fails 1 "does not match its digest" self-inspect inspect "oci:$BAD:self"
ck_fails 1 "does not match its digest" self-pull pull "oci:$BAD:self" -o "oci:$WORK/self-pulled"
assert_file_absent "$WORK/self-pulled"
CURRENT=$ROOT
for level in 1 2 3 4; do
    printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
        "$OCI_INDEX" "$OCI_INDEX" "$CURRENT" "$(stat -c %s "$BAD/blobs/${CURRENT/://}")" >"$WORK/nest.json"
    CURRENT=$(put_blob "$BAD" "$WORK/nest.json")
done
tag_blob "$BAD" "$CURRENT" "$OCI_INDEX" deep
ck_fails 1 "nested deeper than 4 levels" deep-inspect inspect "oci:$BAD:deep"

step "an unknown media type: a clear error"
tag_blob "$BAD" "$MANIFEST" "application/vnd.example.unknown+json" odd
ck_fails 1 "not an OCI or Docker image manifest or index" odd-inspect inspect "oci:$BAD:odd"

step "a tampered blob in the registry's storage: pull fails on the digest, nothing left"
DATA=$REG_STORAGE/docker/registry/v2/blobs/sha256/${LAYER:7:2}/${LAYER:7}/data
[[ -f $DATA ]] || fail "no blob data at $DATA"
SIZE=$(stat -c %s "$DATA")
head -c "$SIZE" /dev/urandom >"$DATA"
ck_fails 1 "does not match its digest" tampered pull "$REG_HOST/$REPO:v1" -o "oci:$WORK/tampered" "${F[@]}"
assert_file_absent "$WORK/tampered"
# Into an existing layout: its tags stay, no new tag, no partial blob.
cp -r "$WORK/plain-pulled" "$WORK/existing"
cp "$WORK/existing/index.json" "$WORK/existing-index.before"
ck_fails 1 "does not match its digest" tampered2 pull "$REG_HOST/$REPO:v1" -o "oci:$WORK/existing:new" "${F[@]}"
cmp -s "$WORK/existing/index.json" "$WORK/existing-index.before" || fail "a failed pull changed index.json"
assert_file_absent "$WORK/existing/blobs/${LAYER/://}"
assert_eq 0 "$(find "$WORK/existing" -name '.ckimg-tmp-*' | wc -l)" "temporary files left by a failed pull"

step "a scripted registry: storage on another origin gets no credentials, a broken download"
step "resumes with Range, manifests over the limit abort while they arrive"
"$REG_PYTHON" "$REG_LIB_DIR/scripted_registry.py" "$WORK/fake.port" "$WORK/fake.log" &
FAKE_PID=$!
on_exit "kill $FAKE_PID 2>/dev/null; wait $FAKE_PID 2>/dev/null"
for _ in $(seq 200); do [[ -s $WORK/fake.port ]] && break; sleep 0.05; done
FAKE=127.0.0.1:$(cat "$WORK/fake.port")
FC=(--insecure --creds u:secret)
ck_ok fake-pull pull "$FAKE/fake/app:v1" -o "oci:$WORK/fake-pulled" "${FC[@]}" --json
assert_eq 2 "$(field fake-pull 'd["copied"]')" "blobs copied from the scripted registry"
"$REG_PYTHON" - "$WORK/fake.log" <<'PY' || fail "credentials or Range wrong on the storage side"
import json, sys
recs = [json.loads(line) for line in open(sys.argv[1])]
storage = [r for r in recs if r["path"].startswith("/storage/")]
assert len(storage) == 2, f"storage saw {len(storage)} GETs, wanted 2 (the cut one, the resumed one)"
assert not any(r["auth"] for r in storage), "credentials went to the storage origin"
assert storage[0]["range"] is None, storage
assert storage[1]["range"] == f"bytes={(3 << 20) // 2}-", storage
assert any(r["auth"] for r in recs if r["path"].startswith("/v2/fake/")), "no credentials sent"
PY
ck_ok fake-inspect inspect "$FAKE/fake/app:v1" "${FC[@]}" --json
assert_eq scripted "$(field fake-inspect 'd["checkpoint"]["container"]')" "container (scripted)"
ck_fails 1 "larger than the 4 MiB limit" fake-big inspect "$FAKE/fake/big:v1" "${FC[@]}"
ck_fails 1 "larger than the 4 MiB limit" fake-chunked pull "$FAKE/fake/chunked:v1" \
    -o "oci:$WORK/fake-chunked" "${FC[@]}"
assert_file_absent "$WORK/fake-chunked"

echo "test_inspect_pull: ok" >&2
