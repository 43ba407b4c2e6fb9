#!/usr/bin/env bash
# ckimg push failures against real registries: each gives exactly one line on stderr and exit 1,
# leaves no tag behind, and never prints a password (the right one or the wrong one) or a token.
# Registry not running; plain HTTP without --insecure; an invalid repository name or tag (refused
# before any request: exit 1 or 2); a name the registry rejects (NAME_INVALID); a tag missing
# from the layout; wrong password, missing credentials, unknown CA and wrong CA on a TLS +
# Basic registry; wrong password and missing credentials on a token registry.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"

build_image app 16M
SRC=oci:$WORK/app:latest
WRONG=wrong-$(_reg_rand 8)

# no_word WORD FILES...: WORD (e.g. the wrong password) appears in none of the files.
no_word() {
    local w=$1 f
    shift
    for f in "$@"; do ! grep -qF -- "$w" "$f" || fail "$f contains [$w]: $(cat "$f")"; done
}
# mentions ERR_FILE REGEX WHAT: the error line says what went wrong.
mentions() { grep -Eqi -- "$2" "$1" || fail "$3: [$(cat "$1")] does not match /$2/"; }

step "registry not running"
PORT=$(_reg_free_port)
ck_fails 1 "127.0.0.1:$PORT" down push "$SRC" "127.0.0.1:$PORT/e2e/app:v1" --insecure --retries 1

start_registry plain

step "plain HTTP registry without --insecure"
ck_fails 1 "$REG_HOST" no-insecure push "$SRC" "$REG_HOST/e2e/app:v1" --retries 1
assert_eq absent "$(reg_image_state e2e/app v1)" "nothing pushed without --insecure"

# A reference outside the docker grammar is refused before any request: a usage error (2) or
# a failure (1), one line either way.
step "an invalid repository name (uppercase)"
ck_fails "1|2" "" bad-name push "$SRC" "$REG_HOST/E2E/BadName:v1" --insecure
mentions "$WORK/bad-name.err" 'BadName|invalid|reference|repository' "invalid name"
assert_eq 0 "$(reg_access_count PUT "/manifests/")" "manifest PUTs after an invalid name"

step "an invalid tag"
ck_fails "1|2" "" bad-tag push "$SRC" "$REG_HOST/e2e/app:-bad-tag" --insecure

step "a repository name the registry rejects (NAME_INVALID, as stricter registries answer)"
start_fault_proxy '[{"method": ["GET", "POST", "PUT", "PATCH"], "path": "^/v2/e2e/rejected/",
                     "action": "status", "status": 400, "times": 0,
                     "body": "{\"errors\": [{\"code\": \"NAME_INVALID\", \"message\": \"invalid repository name\"}]}"}]'
ck_fails 1 "NAME_INVALID" rejected push "$SRC" "$PROXY_HOST/e2e/rejected:v1" --insecure
mentions "$WORK/rejected.err" '400' "the HTTP status of a rejected name"
mentions "$WORK/rejected.err" 'invalid repository name' "the registry's message"
stop_fault_proxy

step "a tag the layout does not hold"
ck_fails 1 "nope" no-tag push "oci:$WORK/app:nope" "$REG_HOST/e2e/app:v1" --insecure

step "tls-basic"
start_registry tls-basic

step "wrong password"
ck_fails 1 "$REG_HOST" tls-wrong push "$SRC" "$REG_HOST/e2e/app:v1" --ca-file "$REG_CA" \
    --creds "$REG_USER:$WRONG"
mentions "$WORK/tls-wrong.err" 'unauthori|401|denied|credential|authenticat' "wrong password"
no_word "$WRONG" "$WORK/tls-wrong.out" "$WORK/tls-wrong.err"

step "missing credentials"
ck_fails 1 "$REG_HOST" tls-nocreds push "$SRC" "$REG_HOST/e2e/app:v1" --ca-file "$REG_CA"
mentions "$WORK/tls-nocreds.err" 'unauthori|401|denied|credential|authenticat' "missing credentials"

step "unknown CA (no --ca-file)"
ck_fails 1 "$REG_HOST" tls-noca push "$SRC" "$REG_HOST/e2e/app:v1" --creds "$REG_USER:$REG_PASS"
mentions "$WORK/tls-noca.err" 'certif|tls|ssl|verif|trust' "unknown CA"

step "a CA that did not sign the registry's certificate"
ck_fails 1 "$REG_HOST" tls-wrongca push "$SRC" "$REG_HOST/e2e/app:v1" --ca-file "$REG_WRONG_CA" \
    --creds "$REG_USER:$REG_PASS"
mentions "$WORK/tls-wrongca.err" 'certif|tls|ssl|verif|trust' "wrong CA"

step "an uppercase repository name with good credentials"
ck_fails "1|2" "" tls-bad-name push "$SRC" "$REG_HOST/E2E/BadName:v1" "${REG_PUSH_FLAGS[@]}"
assert_eq absent "$(reg_image_state e2e/app v1)" "nothing pushed by the failures"
assert_no_secret "$WORK"/tls-*.out "$WORK"/tls-*.err

step "token"
start_registry token

step "wrong password (the token server refuses)"
ck_fails 1 "" tok-wrong push "$SRC" "$REG_HOST/e2e/app:v1" --insecure --creds "$REG_USER:$WRONG"
mentions "$WORK/tok-wrong.err" 'unauthori|401|denied|credential|authenticat' "wrong password (token)"
no_word "$WRONG" "$WORK/tok-wrong.out" "$WORK/tok-wrong.err"
grep -q '"result": "bad credentials"' "$TOKEN_LOG" || fail "the token server saw no bad credentials"

step "missing credentials (an anonymous token grants nothing)"
ck_fails 1 "$REG_HOST" tok-nocreds push "$SRC" "$REG_HOST/e2e/app:v1" --insecure
mentions "$WORK/tok-nocreds.err" 'unauthori|401|denied|credential|authenticat|insufficient' "missing credentials (token)"
assert_eq absent "$(reg_image_state e2e/app v1)" "nothing pushed by the token failures"
assert_no_secret "$WORK"/tok-*.out "$WORK"/tok-*.err

step "login with a wrong password (token)"
status=0
printf '%s\n' "$WRONG" | REGISTRY_AUTH_FILE=$WORK/auth.json "$CKIMG" login "$REG_HOST" -u "$REG_USER" \
    --password-stdin --insecure >"$WORK/login.out" 2>"$WORK/login.err" || status=$?
assert_eq 1 "$status" "exit status of login with a wrong password"
assert_eq 1 "$(wc -l <"$WORK/login.err")" "stderr lines of a failed login"
no_word "$WRONG" "$WORK/login.out" "$WORK/login.err"
assert_file_absent "$WORK/auth.json"

echo "test_push_errors: ok" >&2
