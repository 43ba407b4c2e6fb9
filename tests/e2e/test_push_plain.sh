#!/usr/bin/env bash
# ckimg push against a real registry (CNCF distribution 2.8, Debian's docker-registry) over plain
# HTTP, anonymous: push, read back with skopeo, push again (nothing uploaded), mount into a
# second repository, extra tags, digest references, oci-archive sources, zstd layers, a chunked
# upload, `build --push`, and a registry answering relative Location headers.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

start_registry plain
F=("${REG_PUSH_FLAGS[@]}") # --insecure

step "build an image from a generated CRI-O checkpoint"
build_image app 64M
APP_BUILD_JSON=$BUILD_JSON
NBLOBS=$(blob_count "$WORK/app" latest)
((NBLOBS >= 2)) || fail "expected a config and at least one layer, got $NBLOBS blobs"

step "push, then skopeo reads back what ckimg reported"
ck_push push1 "oci:$WORK/app:latest" "$REG_HOST/e2e/app:v1" "${F[@]}"
assert_push_counts "$NBLOBS" 0 0
assert_eq "$(reg_json "$APP_BUILD_JSON" 'd["digest"]')" "$(push_field digest)" "push digest vs build digest"
assert_eq "$(reg_json "$APP_BUILD_JSON" 'd["mediaType"]')" "$(push_field mediaType)" "push mediaType vs build"
LAYER_BYTES=$(reg_json "$APP_BUILD_JSON" 'sum(l["size"] for l in d["layers"])')
(($(push_field bytes) >= LAYER_BYTES)) || fail "bytes $(push_field bytes) < layer bytes $LAYER_BYTES"
verify_pushed e2e/app v1 "$WORK/app" latest
(($(reg_access_count PUT "^/v2/e2e/app/manifests/v1$" 201) == 1)) || fail "tag v1 not PUT exactly once"

step "push again: every blob skipped, nothing uploaded; extra tags"
ck_push push2 "oci:$WORK/app:latest" "docker://$REG_HOST/e2e/app:v1" "${F[@]}" --tag v1.0 --tag stable
assert_push_counts 0 "$NBLOBS" 0
assert_eq 0 "$(push_field bytes)" "bytes uploaded by a second push"
for t in v1 v1.0 stable; do
    assert_eq "$(push_field digest)" "$(reg_manifest_digest e2e/app "$t")" "digest of tag $t"
done

step "push to a second repository: blobs mounted, not uploaded"
PATCHES_BEFORE=$(reg_access_count PATCH "^/v2/e2e/copy/blobs/uploads/")
ck_push push3 "oci:$WORK/app:latest" "$REG_HOST/e2e/copy:v1" "${F[@]}" --mount-from e2e/app
assert_push_counts 0 0 "$NBLOBS"
(($(reg_access_count POST "^/v2/e2e/copy/blobs/uploads/\?.*mount=" 201) >= NBLOBS)) ||
    fail "the access log shows fewer than $NBLOBS mounts into e2e/copy"
assert_eq "$PATCHES_BEFORE" "$(reg_access_count PATCH "^/v2/e2e/copy/blobs/uploads/")" "PATCHes into e2e/copy"
verify_pushed e2e/copy v1 "$WORK/app" latest

step "push by digest"
DIGEST=$(push_field digest)
ck_push push4 "oci:$WORK/app:latest" "$REG_HOST/e2e/bydigest@$DIGEST" "${F[@]}"
assert_eq "$DIGEST" "$(reg_manifest_digest e2e/bydigest "$DIGEST")" "manifest by digest"
WRONG=sha256:$(printf 'not this image' | sha256sum | cut -d' ' -f1)
ck_fails "1|2" "${WRONG:7:12}" bad-digest push "oci:$WORK/app:latest" "$REG_HOST/e2e/bydigest2@$WRONG" "${F[@]}"
assert_eq absent "$(reg_image_state e2e/bydigest2 "$WRONG")" "a mismatching digest reference pushes no manifest"

step "oci-archive source and a zstd image"
build_image zimg 16M --compression zstd
tar -C "$WORK/zimg" -cf "$WORK/zimg.oci.tar" .
ck_push push5 "oci-archive:$WORK/zimg.oci.tar:latest" "$REG_HOST/e2e/zimg:v1" "${F[@]}"
verify_pushed e2e/zimg v1 "$WORK/zimg" latest
[[ $(reg_json "$WORK/zimg.build.json" 'd["layers"][0]["mediaType"]') == *zstd ]] ||
    fail "the zstd build has no zstd layer"

step "a chunked upload (--chunk-size 4M): several PATCHes, same digest"
ck_push push6 "oci:$WORK/app:latest" "$REG_HOST/e2e/chunked:v1" "${F[@]}" --chunk-size 4M
PATCHES=$(reg_access_count PATCH "^/v2/e2e/chunked/blobs/uploads/" 202)
((PATCHES >= 2)) || fail "a ${LAYER_BYTES}-byte layer in 4 MiB chunks took $PATCHES PATCH(es)"
verify_pushed e2e/chunked v1 "$WORK/app" latest

step "build --push"
status=0
"$CKIMG" build "$WORK/app.tar" -o "oci:$WORK/app2:latest" --push "$REG_HOST/e2e/built:v1" --insecure \
    --json >"$WORK/build-push.json" 2>"$WORK/build-push.err" || status=$?
[[ $status == 0 ]] || fail "ckimg build --push exited $status: $(cat "$WORK/build-push.err")"
assert_eq "$(reg_json "$APP_BUILD_JSON" 'd["digest"]')" "$(reg_manifest_digest e2e/built v1)" \
    "build --push: the registry holds the same (reproducible) image"
assert_eq "$(layout_digest "$WORK/app" latest)" "$(layout_digest "$WORK/app2" latest)" \
    "build --push also wrote the layout"
assert_eq complete "$(reg_image_state e2e/built v1)" "build --push image state"
# The layout's tag (latest) is the layout's: the registry gets the --push reference's alone.
assert_eq '["v1"]' "$(reg_curl GET /v2/e2e/built/tags/list | reg_json - 'json.dumps(d["tags"])')" \
    "tags pushed by build -o ...:latest --push ...:v1"

step "quiet push prints nothing"
"$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/e2e/app:quiet" "${F[@]}" -q >"$WORK/q.out" 2>"$WORK/q.err" ||
    fail "ckimg push -q failed: $(cat "$WORK/q.err")"
assert_eq "" "$(cat "$WORK/q.out" "$WORK/q.err")" "output of push -q"
assert_eq "$DIGEST" "$(reg_manifest_digest e2e/app quiet)" "digest of the quiet push"

step "progress: a live line per blob on a terminal; none without one, with -q or --json"
need script
# script(1) gives the push a pseudo-terminal: what a user at a shell sees.
script -qec "$(printf '%q ' "$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/e2e/tty:v1" "${F[@]}")" \
    /dev/null >"$WORK/tty.out" 2>&1 </dev/null || fail "push on a terminal failed: $(tail -3 "$WORK/tty.out")"
for blob in $(reg_json "$APP_BUILD_JSON" '" ".join(l["digest"][:19] for l in d["layers"])'); do
    grep -aq "${blob}.*MiB/s" "$WORK/tty.out" || fail "no progress line for $blob on a terminal"
done
grep -aq 'done' "$WORK/tty.out" || fail "the progress lines never say done"
"$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/e2e/notty:v1" "${F[@]}" 2>"$WORK/notty.err" >/dev/null
! grep -q 'MiB/s' "$WORK/notty.err" || fail "progress lines without a terminal: $(cat "$WORK/notty.err")"
script -qec "$(printf '%q ' "$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/e2e/tty:json" "${F[@]}" --json)" \
    /dev/null >"$WORK/tty-json.out" 2>&1 </dev/null
! grep -aq 'MiB/s' "$WORK/tty-json.out" || fail "progress lines with --json"

step "a registry that answers relative Location headers (http.relativeurls)"
REG_RELATIVE_URLS=true start_registry plain
ck_push rel "oci:$WORK/app:latest" "$REG_HOST/e2e/app:v1" --insecure --chunk-size 4M
grep -q '"PATCH /v2/e2e/app/blobs/uploads/' "$REG_LOG" || fail "no chunked upload to the relative-URL registry"
verify_pushed e2e/app v1 "$WORK/app" latest

echo "test_push_plain: ok" >&2
