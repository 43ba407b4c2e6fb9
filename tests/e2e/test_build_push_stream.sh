#!/usr/bin/env bash
# build --push uploads each layer as one streamed PATCH (chunked transfer encoding, no
# Content-Range) while it compresses, against a real registry (CNCF distribution 2.8) behind the
# test's fault proxy. A stream cut halfway cannot be resumed from memory: the layer is pushed
# again from a copy on disk, the spool in $TMPDIR without -o, the layout's file with -o, the
# input archive itself for an uncompressed passthrough layer. Every outcome is checked on the
# registry (same image as a local build, every blob present) and nothing is left in $TMPDIR.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

step "a ~64 MiB checkpoint, built locally for reference (gzip and none)"
build_image ref 64M
GZIP_DIGEST=$(layout_digest "$WORK/ref" latest)
LAYER=$(reg_json "$BUILD_JSON" 'max(l["size"] for l in d["layers"])')
((LAYER >= 16 * 1048576)) || fail "the gzip layer has only $LAYER bytes"
HALF=$((LAYER / 2))
"$CKIMG" build "$WORK/ref.tar" -o "oci:$WORK/ref-none:latest" --compression none -q ||
    fail "the uncompressed reference build failed"
NONE_DIGEST=$(layout_digest "$WORK/ref-none" latest)
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
# The memory bound is the release build's; ASan's shadow memory and quarantine add their own
# (as in test_hostile_inputs.sh: a small quarantine, and slack for the shadow).
RSS_LIMIT_KIB=65536
if grep -q __asan_init "$CKIMG" 2>/dev/null; then
    RSS_LIMIT_KIB=$((RSS_LIMIT_KIB + 192 * 1024))
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
fi

# build_push NAME REF [args...]: ckimg build ref.tar --push REF, must succeed; peak RSS in
# $WORK/NAME.rss (KiB).
build_push() {
    local name=$1 ref=$2 status=0
    shift 2
    /usr/bin/time -f %M -o "$WORK/$name.rss" "$CKIMG" build "$WORK/ref.tar" --push "$ref" \
        --insecure --retries 3 -q "$@" 2>"$WORK/$name.err" || status=$?
    assert_no_secret "$WORK/$name.err"
    assert_eq 0 "$status" "build --push $name: $(cat "$WORK/$name.err")"
    assert_eq "" "$(ls -A "$TMPDIR")" "files left in TMPDIR by build --push $name"
}

step "one streamed PATCH per layer, the same image as the local build, memory bounded"
start_registry plain
start_fault_proxy '[]'
build_push plain "$PROXY_HOST/s/plain:v1"
assert_eq "$GZIP_DIGEST" "$(reg_manifest_digest s/plain v1)" "the streamed image"
assert_eq complete "$(reg_image_state s/plain v1)" "the streamed image's blobs"
assert_eq 1 "$(proxy_count PATCH /blobs/uploads/ 202)" "PATCHes for one large layer"
"$REG_PYTHON" - "$PROXY_LOG" <<'PY' || fail "the layer's PATCH was not a streamed one"
import json, sys
patches = [r for r in map(json.loads, open(sys.argv[1])) if r.get("method") == "PATCH"]
assert all(r["cl"] is None and r["cr"] is None for r in patches), patches
PY
(($(cat "$WORK/plain.rss") < RSS_LIMIT_KIB)) || fail "build --push used $(cat "$WORK/plain.rss") KiB"

step "the stream cut halfway, no -o: pushed again from the spool"
start_registry plain
start_fault_proxy "[{\"method\": \"PATCH\", \"path\": \"/blobs/uploads/\", \"action\": \"cut\",
                    \"after_bytes\": $HALF}]"
build_push spool "$PROXY_HOST/s/spool:v1"
assert_eq 1 "$(proxy_faults cut)" "cuts"
assert_eq "$GZIP_DIGEST" "$(reg_manifest_digest s/spool v1)" "the image pushed from the spool"
assert_eq complete "$(reg_image_state s/spool v1)" "the blobs pushed from the spool"

step "the stream cut halfway, with -o: pushed again from the layout's file"
start_registry plain
start_fault_proxy "[{\"method\": \"PATCH\", \"path\": \"/blobs/uploads/\", \"action\": \"cut\",
                    \"after_bytes\": $HALF}]"
build_push layout "$PROXY_HOST/s/layout:v1" -o "oci:$WORK/out:latest"
assert_eq 1 "$(proxy_faults cut)" "cuts"
assert_eq "$GZIP_DIGEST" "$(reg_manifest_digest s/layout v1)" "the image pushed from the layout"
assert_eq complete "$(reg_image_state s/layout v1)" "the blobs pushed from the layout"
assert_eq "$GZIP_DIGEST" "$(layout_digest "$WORK/out" latest)" "the layout written alongside"

step "the stream of an uncompressed passthrough layer cut: pushed again from the archive"
start_registry plain
start_fault_proxy "[{\"method\": \"PATCH\", \"path\": \"/blobs/uploads/\", \"action\": \"cut\",
                    \"after_bytes\": $HALF}]"
build_push none "$PROXY_HOST/s/none:v1" --compression none
assert_eq 1 "$(proxy_faults cut)" "cuts"
assert_eq "$NONE_DIGEST" "$(reg_manifest_digest s/none v1)" "the passthrough image"
assert_eq complete "$(reg_image_state s/none v1)" "the passthrough image's blobs"

step "a registry that wants a Content-Length (411) gets the layer whole from the spool"
start_registry plain
start_fault_proxy '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "status", "status": 411, "times": 0}]'
build_push length "$PROXY_HOST/s/length:v1"
(($(proxy_faults status) >= 1)) || fail "no PATCH was refused: the fallback was not exercised"
assert_eq "$GZIP_DIGEST" "$(reg_manifest_digest s/length v1)" "the image pushed whole"
assert_eq complete "$(reg_image_state s/length v1)" "the blobs pushed whole"

step "cut every time, past --retries: one line, exit 1, no tag, no spool left"
start_registry plain
start_fault_proxy '[{"method": ["PATCH", "PUT"], "path": "/blobs/uploads/", "action": "drop", "times": 0}]'
ck_fails 1 "" fails build "$WORK/ref.tar" --push "$PROXY_HOST/s/fails:v1" --insecure --retries 1 -q
assert_eq 1 "$(wc -l <"$WORK/fails.err")" "lines on stderr: $(cat "$WORK/fails.err")"
assert_eq absent "$(reg_image_state s/fails v1)" "tag after a failed build --push"
assert_eq "" "$(ls -A "$TMPDIR")" "files left in TMPDIR by a failed build --push"

step "SIGINT while the stream is stalled: exit 130 at once, no tag, no spool left"
start_registry plain
start_fault_proxy '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "stall", "after_bytes": "2M", "seconds": 60}]'
MARK=$(log_mark "$PROXY_LOG")
"$CKIMG" build "$WORK/ref.tar" --push "$PROXY_HOST/s/int:v1" --insecure -q 2>"$WORK/int.err" &
BUILD_PID=$!
wait_for_log "$PROXY_LOG" '"action": "stall"' 120 "$MARK"
interrupt_during_stall "$BUILD_PID" "build --push"
assert_eq 130 "$INTERRUPT_STATUS" "exit status after SIGINT: $(cat "$WORK/int.err")"
assert_eq absent "$(reg_image_state s/int v1)" "tag after an interrupted build --push"
assert_eq "" "$(ls -A "$TMPDIR")" "files left in TMPDIR by an interrupted build --push"

echo "test_build_push_stream: ok" >&2
