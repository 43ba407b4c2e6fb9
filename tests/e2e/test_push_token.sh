#!/usr/bin/env bash
# ckimg push and login against a real registry (CNCF distribution 2.8) configured for token auth
# (auth.token: a realm, service, issuer and rootcertbundle), with the test's token server issuing
# RS256 JWTs as Docker Hub, GHCR and Harbor do: the Bearer flow from WWW-Authenticate with
# scopes (push, and pull on the --mount-from repository), tokens reused, never printed; the push
# round trip checked with skopeo; login/logout; and the same over HTTPS for registry and realm.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

start_registry token
build_image app 64M
NBLOBS=$(blob_count "$WORK/app" latest)
MARK=$(log_mark "$TOKEN_LOG")
push_suite e2e "${REG_PUSH_FLAGS[@]}" # --insecure --creds USER:PASS (plain HTTP to loopback)

step "the token server saw the user and the scopes a push needs"
"$REG_PYTHON" - "$TOKEN_LOG" "$MARK" "$REG_USER" <<'PY' || fail "token requests: $(tail -n 20 "$TOKEN_LOG")"
import json, sys
log, mark, user = sys.argv[1], int(sys.argv[2]), sys.argv[3]
recs = [json.loads(l) for l in open(log).read().splitlines()[mark:]]
issued = [r for r in recs if r["status"] == 200]
assert issued, "no token issued"
assert all(r["user"] == user for r in issued), "a token went to someone else"
def actions(name):
    out = set()
    for r in issued:
        for g in r.get("granted", []):
            if g["type"] == "repository" and g["name"] == name:
                out.update(g["actions"])
    return out
assert {"push", "pull"} <= actions("e2e/app"), f"e2e/app got {actions('e2e/app')}"
assert {"push"} <= actions("e2e/copy"), f"e2e/copy got {actions('e2e/copy')}"
# The mount needs pull on the source repository, asked for with the push scope of the target.
both = [r for r in issued if any(s.startswith("repository:e2e/copy:") for s in r["scopes"])
        and any(s.startswith("repository:e2e/app:") and "pull" in s for s in r["scopes"])]
assert both, "no token request asked for push on e2e/copy together with pull on e2e/app"
PY

step "tokens are reused: one push does not fetch a token per request"
TMARK=$(log_mark "$TOKEN_LOG")
RMARK=$(log_mark "$REG_LOG")
ck_push reuse "oci:$WORK/app:latest" "$REG_HOST/e2e/reuse:v1" "${REG_PUSH_FLAGS[@]}"
TOKENS=$(tail -n +"$((TMARK + 1))" "$TOKEN_LOG" | grep -c '"status": 200') || true
REQUESTS=$(tail -n +"$((RMARK + 1))" "$REG_LOG" | grep -Ec '"[A-Z]+ /v2/[^"]*" [0-9]{3} ') || true
((TOKENS >= 1 && TOKENS <= 4 && TOKENS * 2 < REQUESTS)) ||
    fail "$TOKENS tokens fetched for $REQUESTS registry requests in one push"
assert_no_secret "$WORK"/suite-*.json "$WORK"/suite-*.err

step "a repository the token server grants only pull on: one line, exit 1"
stop_registry
TOKEN_ARGS=(--deny '^readonly/')
start_registry token
ck_fails 1 "readonly/app" denied push "oci:$WORK/app:latest" "$REG_HOST/readonly/app:v1" "${REG_PUSH_FLAGS[@]}"
assert_eq absent "$(reg_image_state readonly/app v1)" "nothing pushed to a read-only repository"
TOKEN_ARGS=()

login_suite

step "token-tls: registry and realm over HTTPS with the test CA (--ca-file covers both)"
start_registry token-tls
ck_push tls-1 "oci:$WORK/app:latest" "$REG_HOST/e2e/app:v1" "${REG_PUSH_FLAGS[@]}"
assert_push_counts "$NBLOBS" 0 0
verify_pushed e2e/app v1 "$WORK/app" latest
grep -q "\"user\": \"$REG_USER\"" "$TOKEN_LOG" || fail "no token fetched over HTTPS"

echo "test_push_token: ok" >&2
