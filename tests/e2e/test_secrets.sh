#!/usr/bin/env bash
# Secrets (docs/reliability.md, "Secrets"): checkpoints hold process memory, so
#   - what ckimg writes is 0600 in 0700 directories, whatever the umask, and 0644/0755 only with
#     --world-readable (layouts, OCI archives, the default destination);
#   - auth files are written 0600 (an existing 0644 one is tightened by login), and one that
#     other users can read gets a warning;
#   - no password, Basic credential or token appears in anything ckimg prints, --verbose traces
#     included, with good and with wrong credentials, for push and login, against real registries
#     with Basic auth (TLS) and with the token flow (TLS), nor in the registries' own logs (no
#     secret in a URL);
#   - credentials never go to another host: neither to where a real registry redirects a blob
#     (docker-registry's redirect storage middleware) nor to an upload Location on another host
#     (the fault proxy rewrites the answer; the other host is tests/hostile/fake_registry.py);
#   - TLS 1.2 is the minimum: a server that speaks TLS 1.1 at most is refused, the same server
#     at TLS 1.2 is talked to.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"

HOSTILE=$CKIMG_SOURCE_DIR/tests/hostile
make_archive "$WORK/app.tar" 2M

# modes DIR: "TYPE MODE" of everything under DIR, sorted and counted (d 700 3, f 600 5...).
modes() { find "$1" -mindepth 0 -printf '%y %m\n' | sort | uniq -c | awk '{print $2, $3, $1}'; }
only_modes() { # DIR DIR_MODE FILE_MODE
    local bad
    bad=$(find "$1" \( -type d ! -perm "$2" \) -o \( -type f ! -perm "$3" \) -printf '%m %p\n')
    [[ -z $bad ]] || fail "modes under $1 are not $2/$3: $bad"
}

step "files ckimg writes are 0600 in 0700 directories, even with umask 000"
(
    umask 000
    "$CKIMG" build "$WORK/app.tar" -o "oci:$WORK/private:latest" -q
    "$CKIMG" build "$WORK/app.tar" -o "oci-archive:$WORK/private.tar" -q
    mkdir -p "$WORK/cwd" && cd "$WORK/cwd" && "$CKIMG" build "$WORK/app.tar" -q
) || fail "build failed"
only_modes "$WORK/private" 700 600
assert_eq 600 "$(stat -c %a "$WORK/private.tar")" "mode of the OCI archive"
only_modes "$WORK/cwd" 700 600
(($(find "$WORK/private" -type f | wc -l) >= 5)) || fail "the layout has too few files: $(modes "$WORK/private")"

step "--world-readable: 0755 directories and 0644 files"
(
    umask 077
    "$CKIMG" build "$WORK/app.tar" -o "oci:$WORK/public:latest" -q --world-readable
    "$CKIMG" build "$WORK/app.tar" -o "oci-archive:$WORK/public.tar" -q --world-readable
) || fail "build --world-readable failed"
only_modes "$WORK/public" 755 644
assert_eq 644 "$(stat -c %a "$WORK/public.tar")" "mode of the OCI archive with --world-readable"

start_registry tls-basic
"$CKIMG" build "$WORK/app.tar" -o "oci:$WORK/app:latest" -q
SRC=oci:$WORK/app:latest
WRONG=wrong-$(_reg_rand 10)

# no_secrets FILE...: neither password (right or wrong), nor Basic credential, nor token.
no_secrets() {
    assert_no_secret "$@"
    local f
    for f in "$@"; do
        [[ -f $f ]] || continue
        ! grep -qF -- "$WRONG" "$f" || fail "$f contains the wrong password"
        ! grep -qi 'authorization: \(basic\|bearer\) ' "$f" || fail "$f contains an Authorization header"
    done
}

step "auth files: written 0600 (an existing 0644 one tightened), warned about when readable"
AUTH=$WORK/auth/auth.json
mkdir -p "$WORK/auth"
echo '{"auths": {}}' >"$AUTH"
chmod 644 "$AUTH"
(umask 000 && printf '%s\n' "$REG_PASS" | "$CKIMG" login "$REG_HOST" -u "$REG_USER" --password-stdin \
    --authfile "$AUTH" "${REG_TLS_FLAGS[@]}" --verbose >"$WORK/login.out" 2>"$WORK/login.err") ||
    fail "login failed: $(_reg_redact "$(cat "$WORK/login.err")")"
no_secrets "$WORK/login.out" "$WORK/login.err"
assert_eq 600 "$(stat -c %a "$AUTH")" "mode of the auth file after login"
grep -q "^ckimg: GET https://$REG_HOST/v2/ with Authorization -> HTTP 200" "$WORK/login.err" ||
    fail "login --verbose traced no authorized request: $(cat "$WORK/login.err")"
for mode in 644 640 604; do
    chmod "$mode" "$AUTH"
    "$CKIMG" push "$SRC" "$REG_HOST/secrets/warn:v1" --authfile "$AUTH" "${REG_TLS_FLAGS[@]}" \
        >"$WORK/warn.out" 2>"$WORK/warn.err" || fail "push with a $mode auth file failed: $(cat "$WORK/warn.err")"
    grep -qxF "ckimg: warning: auth file $AUTH is readable by other users (mode 0$mode); run chmod 600 on it" \
        "$WORK/warn.err" || fail "no warning for an auth file of mode $mode: $(cat "$WORK/warn.err")"
    no_secrets "$WORK/warn.out" "$WORK/warn.err"
done
chmod 600 "$AUTH"
"$CKIMG" push "$SRC" "$REG_HOST/secrets/warn:v2" --authfile "$AUTH" "${REG_TLS_FLAGS[@]}" \
    >"$WORK/nowarn.out" 2>"$WORK/nowarn.err" || fail "push with a 0600 auth file failed"
! grep -q warning "$WORK/nowarn.err" || fail "a warning for a 0600 auth file: $(cat "$WORK/nowarn.err")"

step "tls-basic: push and login, --verbose, good and wrong credentials: no secret printed"
"$CKIMG" push "$SRC" "$REG_HOST/secrets/basic:v1" "${REG_PUSH_FLAGS[@]}" --verbose \
    >"$WORK/basic.out" 2>"$WORK/basic.err" || fail "push failed: $(_reg_redact "$(cat "$WORK/basic.err")")"
no_secrets "$WORK/basic.out" "$WORK/basic.err"
grep -q "with Authorization" "$WORK/basic.err" || fail "--verbose traced no authorized request"
ck_fails 1 "HTTP 401" basic-wrong push "$SRC" "$REG_HOST/secrets/basic:v2" "${REG_TLS_FLAGS[@]}" \
    --creds "$REG_USER:$WRONG" --retries 0
no_secrets "$WORK/basic-wrong.out" "$WORK/basic-wrong.err"
status=0
"$CKIMG" push "$SRC" "$REG_HOST/secrets/basic:v3" "${REG_TLS_FLAGS[@]}" --creds "$REG_USER:$WRONG" \
    --retries 0 --verbose >"$WORK/basic-wrong-v.out" 2>"$WORK/basic-wrong-v.err" || status=$?
assert_eq 1 "$status" "exit status of a push with a wrong password"
no_secrets "$WORK/basic-wrong-v.out" "$WORK/basic-wrong-v.err"
status=0
printf '%s\n' "$WRONG" | "$CKIMG" login "$REG_HOST" -u "$REG_USER" --password-stdin --verbose \
    --authfile "$WORK/auth/other.json" "${REG_TLS_FLAGS[@]}" >"$WORK/login-wrong.out" \
    2>"$WORK/login-wrong.err" || status=$?
assert_eq 1 "$status" "exit status of a login with a wrong password"
no_secrets "$WORK/login-wrong.out" "$WORK/login-wrong.err"
assert_file_absent "$WORK/auth/other.json"
no_secrets "$REG_LOG"

step "tls-basic: a blob redirect to another host (the registry's redirect middleware) carries no credentials"
FAKE_LOG=$WORK/fake.log
FAKE_PID=""
stop_fake() { [[ -z $FAKE_PID ]] || { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=""; } || true; }
on_exit stop_fake
start_fake() { # MODE
    stop_fake
    local i
    FAKE_PORT=$(free_port)
    : >"$FAKE_LOG"
    python3 "$HOSTILE/fake_registry.py" --port "$FAKE_PORT" --mode "$1" --log "$FAKE_LOG" \
        >>"$WORK/fake.out" 2>&1 &
    FAKE_PID=$!
    for ((i = 0; i < 200; i++)); do
        grep -q '"listening"' "$FAKE_LOG" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "fake_registry.py did not start: $(cat "$WORK/fake.out")"
}
no_credentials_reached_fake() { # WHAT
    grep -q '"method"' "$FAKE_LOG" || fail "$1: the other host saw no request"
    ! grep -q '"authorization": true' "$FAKE_LOG" ||
        fail "$1: credentials reached the other host: $(grep '"authorization": true' "$FAKE_LOG" | head -3)"
}
start_fake recorder
cat >>"$REG_CONFIG" <<EOF
middleware:
  storage:
    - name: redirect
      options:
        baseurl: http://127.0.0.1:$FAKE_PORT/
EOF
restart_registry
# The fake storage host is plain HTTP: a TLS registry's redirect to http:// is refused unless
# --insecure (issue 11), so allow it here; credentials must still stay with the registry.
"$CKIMG" push "$SRC" "$REG_HOST/secrets/basic:v4" "${REG_PUSH_FLAGS[@]}" --insecure --verbose --json \
    >"$WORK/redirect.out" 2>"$WORK/redirect.err" || fail "push failed: $(_reg_redact "$(cat "$WORK/redirect.err")")"
no_secrets "$WORK/redirect.out" "$WORK/redirect.err"
grep -q "HEAD https://$REG_HOST/v2/secrets/basic/blobs/sha256:[0-9a-f]* with Authorization -> HTTP 307, Location: http://127.0.0.1:$FAKE_PORT/" \
    "$WORK/redirect.err" || fail "the registry did not redirect a blob: $(head -20 "$WORK/redirect.err")"
grep -q "HEAD http://127.0.0.1:$FAKE_PORT/[^ ]* -> HTTP 200" "$WORK/redirect.err" ||
    fail "the redirect was not followed without credentials: $(head -20 "$WORK/redirect.err")"
no_credentials_reached_fake "a redirected blob HEAD"

step "tls-basic: an upload Location on another host carries no credentials"
restart_registry # (the redirect middleware does not matter to uploads)
start_fault_proxy '[]'
start_fake recorder
set_proxy_rules "[{\"method\": \"POST\", \"path\": \"/blobs/uploads/\", \"action\": \"status\",
                   \"status\": 202, \"times\": 0, \"body\": \"\",
                   \"headers\": {\"Location\": \"http://127.0.0.1:$FAKE_PORT/upload/elsewhere\"}}]"
# (plain-HTTP Location from a TLS registry: refused without --insecure since issue 11)
status=0
"$CKIMG" push "$SRC" "$PROXY_HOST/secrets/location:v1" "${REG_PUSH_FLAGS[@]}" --insecure --retries 0 --verbose \
    >"$WORK/location.out" 2>"$WORK/location.err" || status=$?
no_secrets "$WORK/location.out" "$WORK/location.err"
grep -q "PUT http://127.0.0.1:$FAKE_PORT/upload/elsewhere" "$WORK/location.err" ||
    fail "the upload did not go to the other host: $(head -20 "$WORK/location.err")"
no_credentials_reached_fake "an upload to another host"
# The blobs went elsewhere: the registry refuses the manifest, and nothing is tagged.
assert_eq 1 "$status" "exit status of a push whose blobs went to another host"
assert_eq absent "$(reg_image_state secrets/location v1)" "tag after a push whose blobs went elsewhere"
stop_fault_proxy
stop_fake

step "token-tls: push and login, --verbose, good and wrong credentials: no password or token printed"
start_registry token-tls
"$CKIMG" push "$SRC" "$REG_HOST/secrets/token:v1" "${REG_PUSH_FLAGS[@]}" --verbose \
    >"$WORK/token.out" 2>"$WORK/token.err" || fail "push failed: $(_reg_redact "$(cat "$WORK/token.err")")"
no_secrets "$WORK/token.out" "$WORK/token.err"
grep -q "^ckimg: GET $TOKEN_URL with Authorization -> HTTP 200" "$WORK/token.err" ||
    fail "--verbose traced no token request: $(head -5 "$WORK/token.err")"
grep -qE "with ([A-Za-z-]+, )*Authorization -> HTTP 201" "$WORK/token.err" || fail "--verbose traced no authorized upload: $(grep -E "^ckimg: (PUT|PATCH|POST)" "$WORK/token.err" | head -5)"
ck_fails 1 "token server refused the credentials" token-wrong push "$SRC" \
    "$REG_HOST/secrets/token:v2" "${REG_TLS_FLAGS[@]}" --creds "$REG_USER:$WRONG" --retries 0
no_secrets "$WORK/token-wrong.out" "$WORK/token-wrong.err"
status=0
"$CKIMG" push "$SRC" "$REG_HOST/secrets/token:v3" "${REG_TLS_FLAGS[@]}" --creds "$REG_USER:$WRONG" \
    --retries 0 --verbose >"$WORK/token-wrong-v.out" 2>"$WORK/token-wrong-v.err" || status=$?
assert_eq 1 "$status" "exit status of a push with a wrong password (token)"
no_secrets "$WORK/token-wrong-v.out" "$WORK/token-wrong-v.err"
status=0
printf '%s\n' "$REG_PASS" | "$CKIMG" login "$REG_HOST" -u "$REG_USER" --password-stdin --verbose \
    --authfile "$WORK/auth/token.json" "${REG_TLS_FLAGS[@]}" >"$WORK/token-login.out" \
    2>"$WORK/token-login.err" || status=$?
assert_eq 0 "$status" "exit status of login to the token registry"
no_secrets "$WORK/token-login.out" "$WORK/token-login.err" "$REG_LOG" "$TOKEN_LOG"
assert_eq 600 "$(stat -c %a "$WORK/auth/token.json")" "mode of the auth file"

step "TLS 1.2 minimum: a TLS 1.1 server is refused, the same server at TLS 1.2 is reached"
need openssl
tls_server() { # VERSION_FLAG: openssl s_server (serving files, -WWW) on a free port
    TLS_PORT=$(free_port)
    (cd "$WORK" && exec openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$REG_PKI/server.crt" \
        -key "$REG_PKI/server.key" -cipher 'DEFAULT:@SECLEVEL=0' "$1" -WWW -quiet) \
        >"$WORK/s_server.log" 2>&1 &
    TLS_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        (echo >"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null && return 0
        sleep 0.05
    done
    fail "openssl s_server $1 did not start: $(cat "$WORK/s_server.log")"
}
stop_tls_server() { kill "$TLS_PID" 2>/dev/null || true; wait "$TLS_PID" 2>/dev/null || true; }
tls_server -tls1_1
on_exit stop_tls_server
if curl -sS -o /dev/null --cacert "$REG_CA" --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0' \
    "https://127.0.0.1:$TLS_PORT/" 2>"$WORK/curl11.err"; then
    ck_fails 1 "(GET https://127.0.0.1:$TLS_PORT/v2/); for a private CA use --ca-file, for plain HTTP --insecure" \
        tls11 push "$SRC" "127.0.0.1:$TLS_PORT/secrets/tls:v1" --ca-file "$REG_CA" --retries 0
    grep -Eqi 'protocol version|unsupported protocol|alert|SSL connect error' "$WORK/tls11.err" ||
        fail "the refusal does not name the protocol: $(cat "$WORK/tls11.err")"
else
    echo "    (the system's OpenSSL refuses TLS 1.1 even to curl: $(head -1 "$WORK/curl11.err"))" >&2
fi
stop_tls_server
tls_server -tls1_2
ck_fails 1 "(not an OCI distribution registry?) (GET https://127.0.0.1:$TLS_PORT/v2/)" tls12 \
    push "$SRC" "127.0.0.1:$TLS_PORT/secrets/tls:v1" --ca-file "$REG_CA" --retries 0
stop_tls_server

echo "test_secrets: ok" >&2
