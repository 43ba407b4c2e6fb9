#!/usr/bin/env bash
# ckimg copy between every kind of location, against a real registry (docker-registry, plain
# HTTP) and checked with skopeo: layout -> OCI archive -> registry -> registry (another
# repository: blobs mounted, not sent) -> layout, the digest kept at every hop; a copy to a
# registry reference by a wrong digest and from a missing source fail with nothing written.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

start_registry plain
F=("${REG_PUSH_FLAGS[@]}") # --insecure

# ck_ok NAME ARGS...: ckimg must succeed; its stdout goes to $WORK/NAME.out.
ck_ok() {
    local name=$1 status=0
    shift
    "$CKIMG" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
    [[ $status == 0 ]] || fail "ckimg $* exited $status: $(cat "$WORK/$name.err")"
}
field() { reg_json "$WORK/$1.out" "$2"; }

build_image img 3M
DIGEST=$(layout_digest "$WORK/img" latest)

step "layout -> OCI archive: the same image, readable by skopeo"
ck_ok c-archive copy "oci:$WORK/img:latest" "oci-archive:$WORK/img.oci.tar:v1" --json
assert_eq "$DIGEST" "$(field c-archive 'd["digest"]')" "digest copied into the archive"
assert_eq 2 "$(field c-archive 'd["copied"]')" "blobs written into the archive"
skopeo --policy "$REG_POLICY" copy -q --all --preserve-digests "oci-archive:$WORK/img.oci.tar:v1" \
    "oci:$WORK/via-skopeo:v1" || fail "skopeo cannot read the archive ckimg copy wrote"
assert_eq "$DIGEST" "$(layout_digest "$WORK/via-skopeo" v1)" "digest skopeo read from the archive"

step "OCI archive -> registry, with an extra tag"
ck_ok c-push copy "oci-archive:$WORK/img.oci.tar:v1" "$REG_HOST/e2e/copy:v1" --tag v1b "${F[@]}" --json
assert_eq 2 "$(field c-push 'd["copied"]')" "blobs uploaded"
for tag in v1 v1b; do
    assert_eq "$DIGEST" "$(reg_manifest_digest e2e/copy "$tag")" "digest under $tag"
done

step "registry -> registry, another repository: every blob mounted, none sent"
ck_ok c-mirror copy "$REG_HOST/e2e/copy:v1" "$REG_HOST/e2e/mirror:v2" "${F[@]}" --json
assert_eq 0 "$(field c-mirror 'd["copied"]')" "blobs sent to the mirror"
assert_eq 2 "$(field c-mirror 'd["mounted"]')" "blobs mounted into the mirror"
assert_eq "$DIGEST" "$(reg_manifest_digest e2e/mirror v2)" "digest in the mirror"

step "registry -> layout: what skopeo pulls, digest for digest"
ck_ok c-pull copy "$REG_HOST/e2e/mirror:v2" "oci:$WORK/back" "${F[@]}" --json
assert_eq "$DIGEST" "$(layout_digest "$WORK/back" v2)" "tag taken from the source"
reg_skopeo_pull e2e/mirror:v2 "$WORK/skopeo-back:v2" || fail "skopeo pull failed"
assert_eq "$(layout_blobs "$WORK/skopeo-back" v2)" "$(layout_blobs "$WORK/back" v2)" "blobs pulled"

step "a wrong digest and a missing source write nothing"
run_fails 2 "as the reference says" "$CKIMG" copy "oci:$WORK/img:latest" \
    "$REG_HOST/e2e/wrong@sha256:$(printf 0%.0s {1..64})" "${F[@]}"
assert_eq absent "$(reg_image_state e2e/wrong "$DIGEST")" "image under the wrong digest"
run_fails 1 "$WORK/none" "$CKIMG" copy "oci:$WORK/none:latest" "oci:$WORK/never"
assert_file_absent "$WORK/never"
run_fails 1 "$WORK/nodir" "$CKIMG" copy "oci:$WORK/img:latest" "oci-archive:$WORK/nodir/x.tar"
assert_file_absent "$WORK/nodir/x.tar"
echo "PASS"
