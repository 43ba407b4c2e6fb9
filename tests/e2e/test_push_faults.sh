#!/usr/bin/env bash
# ckimg push through faults, against a real registry (CNCF distribution 2.8, plain HTTP) behind
# the test's fault proxy (lib/fault_proxy.py): a ~100 MiB layer pushed in 8 MiB chunks is cut
# halfway and the push resumes without sending the completed chunks again; a cut the registry
# half-received (distribution 2.8 then kills the upload session), a chunk whose answer is lost,
# and the registry killed and restarted in the middle of a PATCH all end in a complete push;
# injected 429 (Retry-After honoured) and 503 answers are retried; more failures than --retries
# fail cleanly (one line, exit 1) and leave no tag pointing at an incomplete image.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

CHUNK=$((8 * 1048576))
PUSH=(--insecure --chunk-size 8M --retries 5 --jobs 1)
PUSH_FEW_RETRIES=(--insecure --chunk-size 8M --retries 2 --jobs 1)

step "build a ~100 MiB uncompressed layer, and a small image"
build_image big 100M --compression none
BIG_DIGEST=$(layout_digest "$WORK/big" latest)
TOTAL=$(layout_blobs "$WORK/big" latest | while read -r d; do stat -c %s "$WORK/big/blobs/${d/://}"; done |
    awk '{s += $1} END {print s}')
LAYER=$(reg_json "$BUILD_JSON" 'max(l["size"] for l in d["layers"])')
((LAYER >= 100 * 1048576)) || fail "the big layer has only $LAYER bytes"
HALF=$((LAYER / 2))
CHUNKS=$(((LAYER + CHUNK - 1) / CHUNK))
build_image small 8M
SMALL_DIGEST=$(layout_digest "$WORK/small" latest)

# fresh_registry RULES: a new, empty registry with the fault proxy in front.
fresh_registry() {
    start_registry plain
    start_fault_proxy "$1"
}

step "A: a chunked upload cut halfway (the registry never saw the cut chunk) resumes"
fresh_registry "[{\"method\": \"PATCH\", \"path\": \"/blobs/uploads/\", \"action\": \"cut\",
                  \"after_total\": $HALF, \"forward_partial\": false}]"
ck_push a "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}"
assert_eq 1 "$(proxy_faults cut)" "cuts"
verify_pushed e2e/big v1 "$WORK/big" latest
# Every byte reached the registry once: the completed chunks were not sent again.
assert_eq "$TOTAL" "$(upload_bytes e2e/big fwd)" "upload bytes that reached the registry"
RESENT=$(($(upload_bytes e2e/big in) - TOTAL))
((RESENT >= 0 && RESENT <= CHUNK)) || fail "the client sent $RESENT bytes more than the blobs hold"
ACCEPTED=$(reg_access_count PATCH "^/v2/e2e/big/blobs/uploads/" 202)
((ACCEPTED <= CHUNKS + 1)) || fail "$ACCEPTED PATCHes accepted for $CHUNKS chunks: chunks sent again"
(($(proxy_peak_rss_kb) < 65536)) || fail "the fault proxy used $(proxy_peak_rss_kb) KiB (not streaming)"

step "B: a cut the registry half-received (upload session dead on distribution 2.8) completes"
fresh_registry "[{\"method\": \"PATCH\", \"path\": \"/blobs/uploads/\", \"action\": \"cut\",
                  \"after_total\": $HALF}]"
ck_push b "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}"
assert_eq 1 "$(proxy_faults cut)" "cuts"
verify_pushed e2e/big v1 "$WORK/big" latest
(($(upload_bytes e2e/big in) <= 2 * TOTAL + CHUNK)) || fail "more than one restart of the upload"

step "C: the registry took a chunk but its answer was lost"
fresh_registry '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "drop_response", "skip": 3}]'
ck_push c "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}"
assert_eq 1 "$(proxy_faults drop_response)" "dropped answers"
verify_pushed e2e/big v1 "$WORK/big" latest

step "D: the registry killed and restarted in the middle of a PATCH"
fresh_registry '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "stall", "after_bytes": "1M",
                  "seconds": 3, "skip": 3}]'
MARK=$(log_mark "$PROXY_LOG")
ck_push d "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}" &
PUSH_PID=$!
wait_for_log "$PROXY_LOG" '"action": "stall"' 120 "$MARK"
restart_registry KILL
wait "$PUSH_PID" || fail "the push did not survive the registry restart"
PUSH_JSON=$WORK/d.json
verify_pushed e2e/big v1 "$WORK/big" latest

step "E: injected 429 (Retry-After: 1) and 503 answers are retried"
fresh_registry '[{"method": "GET", "path": "^/v2/$", "action": "status", "status": 503},
                 {"method": "HEAD", "path": "/blobs/sha256:", "action": "status", "status": 429, "retry_after": 1},
                 {"method": "POST", "path": "/blobs/uploads/", "action": "status", "status": 503},
                 {"method": "PATCH", "path": "/blobs/uploads/", "action": "status", "status": 429, "retry_after": 1, "skip": 1},
                 {"method": "PUT", "path": "/blobs/uploads/", "action": "status", "status": 503},
                 {"method": "PUT", "path": "/manifests/", "action": "status", "status": 429, "retry_after": 1}]'
ck_push e "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}"
FIRED=$(proxy_faults status)
((FIRED >= 5)) || fail "only $FIRED of the injected answers were met: $(grep '"fault"' "$PROXY_LOG")"
CHECKED=$(retry_after_honoured) || fail "Retry-After not honoured"
((CHECKED >= 2)) || fail "only $CHECKED 429 answers were met"
verify_pushed e2e/big v1 "$WORK/big" latest

step "E: 503s on the closing PUT of a chunked upload are retried there: no chunk is sent again"
LAYER_HEX=$(ls -S "$WORK/big/blobs/sha256" | head -1)
fresh_registry "[{\"method\": \"PUT\", \"path\": \"/blobs/uploads/.*digest=sha256(:|%3[Aa])$LAYER_HEX\",
                  \"action\": \"status\", \"status\": 503, \"times\": 2}]"
ck_push e2 "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}"
assert_eq 2 "$(proxy_faults status)" "503s on the closing PUT"
verify_pushed e2e/big v1 "$WORK/big" latest
assert_eq "$TOTAL" "$(upload_bytes e2e/big in)" "bytes sent for a push whose closing PUT was refused twice"

step "F: more 503s than --retries on the manifest: one line, exit 1, no tag"
fresh_registry '[{"method": "PUT", "path": "/manifests/", "action": "status", "status": 503, "times": 0}]'
ck_fails 1 "503" f1 push "oci:$WORK/small:latest" "$PROXY_HOST/e2e/small:v1" --insecure --retries 2
FIRED=$(proxy_faults status)
((FIRED >= 2 && FIRED <= 3)) || fail "--retries 2 made $FIRED manifest attempts"
assert_eq absent "$(reg_image_state e2e/small v1)" "tag after a failed manifest push"

step "F: blob uploads failing past --retries: no manifest is pushed, an existing tag keeps its image"
start_registry plain
ck_push f2-good "oci:$WORK/small:latest" "$REG_HOST/e2e/big:v1" --insecure
start_fault_proxy '[{"path": "/blobs/uploads/", "action": "status", "status": 503, "times": 0}]'
ck_fails 1 "" f2 push "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH_FEW_RETRIES[@]}"
assert_eq 0 "$(proxy_count PUT /manifests/)" "manifest PUTs after failed blob uploads"
assert_eq "$SMALL_DIGEST" "$(reg_manifest_digest e2e/big v1)" "the tag still names the old image"
assert_eq complete "$(reg_image_state e2e/big v1)" "the old image is intact"
assert_eq absent "$(reg_image_state e2e/big "$BIG_DIGEST")" "the new index is not in the registry"

step "F: a cut on every PATCH past --retries fails cleanly too"
set_proxy_rules '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "drop", "times": 0},
                  {"method": "PUT", "path": "/blobs/uploads/", "action": "drop", "times": 0}]'
ck_fails 1 "" f3 push "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH_FEW_RETRIES[@]}"
assert_eq "$SMALL_DIGEST" "$(reg_manifest_digest e2e/big v1)" "the tag still names the old image"

step "H: build --push to a registry that refuses chunked PATCHes: spooled, pushed whole"
fresh_registry '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "status", "status": 405, "times": 0}]'
status=0
"$CKIMG" build "$WORK/big.tar" -o "oci:$WORK/big-spooled:latest" --compression none \
    --push "$PROXY_HOST/e2e/spooled:v1" --insecure --retries 2 -q 2>"$WORK/h.err" || status=$?
assert_eq 0 "$status" "build --push without chunking: $(cat "$WORK/h.err")"
(($(proxy_faults status) >= 1)) || fail "no PATCH was refused: the fallback was not exercised"
assert_eq "$BIG_DIGEST" "$(reg_manifest_digest e2e/spooled v1)" "the spooled push's image"
assert_eq complete "$(reg_image_state e2e/spooled v1)" "the spooled push's blobs"

step "G: SIGINT in the middle of a stalled upload: the push stops at once, exit 130, no tag"
fresh_registry '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "stall", "after_bytes": "1M",
                  "seconds": 60, "skip": 2}]'
MARK=$(log_mark "$PROXY_LOG")
"$CKIMG" push "oci:$WORK/big:latest" "$PROXY_HOST/e2e/big:v1" "${PUSH[@]}" -q 2>"$WORK/g.err" &
PUSH_PID=$!
wait_for_log "$PROXY_LOG" '"action": "stall"' 120 "$MARK"
interrupt_during_stall "$PUSH_PID" "the push"
assert_eq 130 "$INTERRUPT_STATUS" "exit status after SIGINT"
assert_eq 1 "$(wc -l <"$WORK/g.err")" "lines on stderr after SIGINT: $(cat "$WORK/g.err")"
assert_eq absent "$(reg_image_state e2e/big v1)" "tag after an interrupted push"

echo "test_push_faults: ok" >&2
