#!/usr/bin/env bash
# ckimg pull and inspect against a registry with token auth (CNCF distribution 2.8 + the test's
# token server): they ask for the pull scope only (what read-only credentials get), fetch no
# layer for inspect, and without credentials fail in one line with a hint.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

start_registry token
build_image app 8M
reg_skopeo_push "$WORK/app:latest" team/app:v1 || fail "skopeo could not push team/app"
DIGEST=$(layout_digest "$WORK/app" latest)

step "pull with a user's credentials: the pull scope alone, digests kept"
MARK=$(log_mark "$TOKEN_LOG")
"$CKIMG" pull "$REG_HOST/team/app:v1" -o "oci:$WORK/pulled" "${REG_PUSH_FLAGS[@]}" --json \
    >"$WORK/pull.json" 2>"$WORK/pull.err" || fail "pull failed: $(cat "$WORK/pull.err")"
assert_eq "$DIGEST" "$(layout_digest "$WORK/pulled" v1)" "pulled digest"
assert_eq "$(layout_blobs "$WORK/app" latest)" "$(layout_blobs "$WORK/pulled" v1)" "pulled blobs"
"$REG_PYTHON" - "$TOKEN_LOG" "$MARK" <<'PY' || fail "token requests: $(tail -n 5 "$TOKEN_LOG")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]]
scopes = {s for r in recs for s in r["scopes"]}
assert scopes == {"repository:team/app:pull"}, f"pull asked for {scopes}"
PY
assert_no_secret "$WORK/pull.json" "$WORK/pull.err"

step "inspect with credentials reads no layer"
"$CKIMG" inspect "$REG_HOST/team/app:v1" "${REG_PUSH_FLAGS[@]}" --json >"$WORK/inspect.json" \
    2>"$WORK/inspect.err" || fail "inspect failed: $(cat "$WORK/inspect.err")"
assert_eq crio "$(reg_json "$WORK/inspect.json" 'd["image"]["format"]')" "format"
LAYER=$(reg_json "$WORK/inspect.json" 'd["image"]["layers"][0]["digest"]')
assert_eq 1 "$(reg_access_count GET "^/v2/team/app/blobs/$LAYER" 200)" "layer GETs (the pull's only)"

step "without credentials: one line, exit 1, a hint"
ck_fails 1 "no credentials" anonymous pull "$REG_HOST/team/app:v1" -o "oci:$WORK/anon" --insecure
assert_file_absent "$WORK/anon"

echo "test_pull_token: ok" >&2
