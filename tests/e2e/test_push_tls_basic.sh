#!/usr/bin/env bash
# ckimg push and login against a real registry (CNCF distribution 2.8) over TLS with a CA the
# test makes, and htpasswd (bcrypt) Basic auth: the push round trip checked with skopeo, skipped
# and mounted blobs, chunked uploads, login/logout (auth file at 0600, nothing stored on failure).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

start_registry tls-basic
build_image app 64M
push_suite e2e "${REG_PUSH_FLAGS[@]}" # --ca-file $REG_CA --creds USER:PASS

step "the password is in no output"
assert_no_secret "$WORK"/suite-*.json "$WORK"/suite-*.err

login_suite

step "login with the default auth file (\$XDG_RUNTIME_DIR/containers/auth.json)"
printf '%s\n' "$REG_PASS" | "$CKIMG" login "$REG_HOST" -u "$REG_USER" --password-stdin \
    "${REG_TLS_FLAGS[@]}" >/dev/null 2>"$WORK/login-default.err" ||
    fail "login failed: $(_reg_redact "$(cat "$WORK/login-default.err")")"
assert_eq 600 "$(stat -c %a "$XDG_RUNTIME_DIR/containers/auth.json")" "mode of the default auth file"
ck_push default-auth "oci:$WORK/app:latest" "$REG_HOST/login/app:default" "${REG_TLS_FLAGS[@]}"
"$CKIMG" logout "$REG_HOST" >/dev/null 2>&1 || fail "logout failed"

step "--creds USER on a terminal: the password is asked for once, also with --base-image and --push"
# No stored credentials (logged out above): the prompt is the only way in.
printf '%s\n' "$REG_PASS" >"$WORK/typed-password"
make_archive "$WORK/prompted.tar" 1M
prompts=$("$REG_PYTHON" "$REG_LIB_DIR/pty_password.py" "$WORK/typed-password" "$WORK/prompt-build.tty" -- \
    "$CKIMG" build "$WORK/prompted.tar" -o "oci:$WORK/prompted:latest" -q \
    --base-image "$REG_HOST/login/app:default" --push "$REG_HOST/prompt/app:v1" \
    "${REG_TLS_FLAGS[@]}" --creds "$REG_USER") ||
    fail "build with a prompted password failed: $(_reg_redact "$(cat "$WORK/prompt-build.tty")")"
assert_eq 1 "$prompts" "password prompts of build --base-image --push --creds USER"
assert_eq complete "$(reg_image_state prompt/app v1)" "image pushed with a prompted password"
prompts=$("$REG_PYTHON" "$REG_LIB_DIR/pty_password.py" "$WORK/typed-password" "$WORK/prompt-push.tty" -- \
    "$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/prompt/app:v2" -q "${REG_TLS_FLAGS[@]}" \
    --creds "$REG_USER") ||
    fail "push with a prompted password failed: $(_reg_redact "$(cat "$WORK/prompt-push.tty")")"
assert_eq 1 "$prompts" "password prompts of push --creds USER"
assert_no_secret "$WORK"/prompt-*.tty

echo "test_push_tls_basic: ok" >&2
