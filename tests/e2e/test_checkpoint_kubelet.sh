#!/usr/bin/env bash
# ckimg checkpoint against a kubelet TEST DOUBLE (lib/kubelet_double.py; no real kubelet can run
# here: it needs an API server and a CRI runtime). The double speaks the kubelet's checkpoint API
# over TLS, authenticates client certificates and bearer tokens, and gives the kubelet's error
# answers; here it hands out an archive made by ckimg-gen (tests/real/test_checkpoint_kubelet_real.sh has it make
# a real checkpoint with Podman and CRIU). The image goes to a real registry (docker-registry,
# TLS + Basic auth). Checked: the happy paths (client certificate, token, --rm, -o), every
# kubelet error (401, 403, 404 three ways, 500, the runtime's deadline, no answer), every hostile
# answer (not JSON, wrong JSON, a path outside the directory, "..", a subdirectory, a symlink, a
# FIFO, a directory, a hard link, a missing file), usage errors before any request, and that no
# token, key or registry password is in any output, even when the kubelet echoes the request.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
source "$(dirname "$0")/lib/kubelet.sh"

start_registry tls-basic
make_archive "$WORK/counter.tar" 1M
start_kubelet_double --pod default/counters/counter,sidecar --archive "$WORK/counter.tar"
PUSH=(--registry-ca-file "$REG_CA" --creds "$REG_USER:$REG_PASS")
N=0
# ck NAME ARGS...: ckimg checkpoint default/counters/counter against the double; out/err kept.
# The pod's service account token is CK_SA_TOKEN (default: none, even when this runs in a pod).
ck() {
    local name=$1
    shift
    N=$((N + 1))
    CK_OUT=$WORK/ck-$N-$name.out CK_ERR=$WORK/ck-$N-$name.err CK_STATUS=0
    CKIMG_SERVICE_ACCOUNT_TOKEN_FILE=${CK_SA_TOKEN:-$WORK/no-service-account-token} "$CKIMG" checkpoint "${CK_TARGET:-default/counters/counter}" --kubelet "${CK_KUBELET:-$KUBELET_URL}" \
        --checkpoints-dir "$KUBELET_DIR" "$@" >"$CK_OUT" 2>"$CK_ERR" || CK_STATUS=$?
}
# ck_fails STATUS TEXT NAME ARGS...: exit STATUS, one line on stderr containing TEXT.
ck_fails() {
    local status=$1 text=$2
    shift 2
    ck "$@"
    [[ $CK_STATUS == "$status" ]] || fail "$1: exited $CK_STATUS, wanted $status: $(cat "$CK_ERR")"
    [[ $(wc -l <"$CK_ERR") == 1 ]] || fail "$1: not one line on stderr: $(cat "$CK_ERR")"
    grep -qF -- "$text" "$CK_ERR" || fail "$1: stderr [$(cat "$CK_ERR")] lacks [$text]"
}
archives() { find "$KUBELET_DIR" -mindepth 1 -maxdepth 1 -name 'checkpoint-*' | sort; }

step "client certificate: checkpoint, build, push; --json is build's plus the archive"
ck cert "${KUBELET_ADMIN[@]}" --push "$REG_HOST/ckpt/counter:v1" "${PUSH[@]}" --json
[[ $CK_STATUS == 0 ]] || fail "checkpoint with a client certificate failed: $(cat "$CK_ERR")"
archive=$(json_get "$CK_OUT" 'd["archive"]')
[[ $archive == "$KUBELET_DIR"/checkpoint-counters_default-counter-*.tar ]] ||
    fail "archive path [$archive] is not the kubelet's"
[[ -f $archive ]] || fail "without --rm the archive must stay"
assert_eq default/counters/counter "$(json_get "$CK_OUT" 'd["container"]')" "container"
assert_eq False "$(json_get "$CK_OUT" 'd["removed"]')" "removed"
assert_eq counter "$(json_get "$CK_OUT" 'd["checkpoint"]["container"]')" "checkpoint name"
digest=$(json_get "$CK_OUT" 'd["digest"]')
assert_eq "$digest" "$(reg_manifest_digest ckpt/counter v1)" "digest in the registry"
assert_eq complete "$(reg_image_state ckpt/counter v1)" "pushed image"
grep -q '"auth": "cert", "user": "kubelet-admin"' "$KUBELET_LOG" ||
    fail "the double did not see the client certificate"

step "the same archive through ckimg build gives the same image (same flags, same code)"
"$CKIMG" build "$archive" -o "oci:$WORK/direct:latest" --json >"$WORK/direct.json" ||
    fail "ckimg build of the kubelet's archive failed"
ck layout "${KUBELET_ADMIN[@]}" -o "oci:$WORK/via:latest" --json
[[ $CK_STATUS == 0 ]] || fail "checkpoint -o failed: $(cat "$CK_ERR")"
assert_eq "$(json_get "$WORK/direct.json" 'd["layers"][0]["digest"]')" \
    "$(json_get "$CK_OUT" 'd["layers"][0]["digest"]')" "layer digest of checkpoint -o and build"

step "service account token, every build flag passes through, --rm after the push"
before=$(archives | wc -l)
ck token "${KUBELET_SA[@]}" --push "$REG_HOST/ckpt/counter:v2" "${PUSH[@]}" --rm --json \
    --format podman --compression zstd --annotation team=storage --kubelet-timeout 30
[[ $CK_STATUS == 0 ]] || fail "checkpoint with a token failed: $(cat "$CK_ERR")"
assert_eq True "$(json_get "$CK_OUT" 'd["removed"]')" "removed"
assert_eq podman "$(json_get "$CK_OUT" 'd["format"]')" "format"
assert_contains "$(json_get "$CK_OUT" 'd["layers"][0]["mediaType"]')" zstd "layer compression"
assert_eq storage "$(json_get "$CK_OUT" 'd["annotations"]["team"]')" "annotation"
[[ ! -e $(json_get "$CK_OUT" 'd["archive"]') ]] || fail "--rm left the archive"
assert_eq "$before" "$(archives | wc -l)" "archives after --rm"
assert_eq complete "$(reg_image_state ckpt/counter v2)" "image pushed with a token"
tail -1 "$KUBELET_LOG" | grep -q '"auth": "token", "user": "system:serviceaccount:ckimg:ckimg"' ||
    fail "the double did not see the token"
tail -1 "$KUBELET_LOG" | grep -q '"timeout": "30"' || fail "--kubelet-timeout is not ?timeout=30"

step "in a pod: no --cert, no --token-file: the mounted service account token"
CK_SA_TOKEN=$KUBELET_PKI/sa.token ck sa-mounted "${KUBELET_ANON[@]}" -o "oci:$WORK/sa:latest" --json
[[ $CK_STATUS == 0 ]] || fail "checkpoint with the mounted token failed: $(cat "$CK_ERR")"
tail -1 "$KUBELET_LOG" | grep -q '"auth": "token", "user": "system:serviceaccount:ckimg:ckimg"' ||
    fail "the double did not see the mounted service account token"
CK_SA_TOKEN=$KUBELET_PKI/bad.token ck_fails 1 "did not accept the token in $KUBELET_PKI/bad.token (401" \
    sa-mounted-unknown "${KUBELET_ANON[@]}"
CK_SA_TOKEN=$KUBELET_PKI/denied.token ck_fails 1 "the token in $KUBELET_PKI/denied.token" \
    sa-mounted-denied "${KUBELET_ANON[@]}"
assert_contains "$(cat "$CK_ERR")" 'grant verb "create" on resource "nodes/checkpoint"' "403 (mounted token)"
# A certificate or --token-file given wins over the mounted token (which would be refused here).
CK_SA_TOKEN=$KUBELET_PKI/bad.token ck sa-cert-wins "${KUBELET_ADMIN[@]}" -o "oci:$WORK/sa:cert" -q
[[ $CK_STATUS == 0 ]] || fail "--cert with a token mounted failed: $(cat "$CK_ERR")"
tail -1 "$KUBELET_LOG" | grep -q '"auth": "cert", "user": "kubelet-admin"' ||
    fail "--cert did not win over the mounted token"
CK_SA_TOKEN=$KUBELET_PKI/bad.token ck sa-flag-wins "${KUBELET_SA[@]}" -o "oci:$WORK/sa:flag" -q
[[ $CK_STATUS == 0 ]] || fail "--token-file with a token mounted failed: $(cat "$CK_ERR")"
tail -1 "$KUBELET_LOG" | grep -q '"auth": "token", "user": "system:serviceaccount:ckimg:ckimg"' ||
    fail "--token-file did not win over the mounted token"
# No token mounted (the path does not exist): anonymous, which the kubelet refuses.
CK_SA_TOKEN=$WORK/nowhere/token ck_fails 1 "did not accept no credentials" sa-absent "${KUBELET_ANON[@]}"

step "--rm keeps the archive when the push fails"
before=$(archives | wc -l)
ck_fails 1 "" push-fails "${KUBELET_ADMIN[@]}" --push "$REG_HOST/ckpt/counter:v3" \
    --registry-ca-file "$REG_CA" --creds "$REG_USER:wrong-password" --rm --retries 0
assert_eq $((before + 1)) "$(archives | wc -l)" "archives after a failed push with --rm"
assert_eq absent "$(reg_image_state ckpt/counter v3)" "image after a failed push"

step "401: unknown token, unknown CA, no credentials; 403: authenticated but not allowed"
ck_fails 1 "did not accept the token in $KUBELET_PKI/bad.token (401" bad-token "${KUBELET_BADTOKEN[@]}"
ck_fails 1 "did not accept the client certificate $KUBELET_PKI/stranger.crt (401" stranger "${KUBELET_STRANGER[@]}"
ck_fails 1 "did not accept no credentials" anonymous "${KUBELET_ANON[@]}"
ck_fails 1 'grant verb "create" on resource "nodes/checkpoint"' nobody "${KUBELET_NOBODY[@]}"
assert_contains "$(cat "$CK_ERR")" "user=nobody" "403 names the kubelet's user"
ck_fails 1 'grant verb "create" on resource "nodes/checkpoint"' denied "${KUBELET_DENIED[@]}"
assert_contains "$(cat "$CK_ERR")" "the token in $KUBELET_PKI/denied.token" "403 names the credentials"

step "404: no such pod, no such container, the feature gate off"
CK_TARGET=default/nopod/counter ck_fails 1 "runs no pod default/nopod (404" no-pod "${KUBELET_ADMIN[@]}"
CK_TARGET=default/counters/nope ck_fails 1 'has no container "nope" (404)' no-container "${KUBELET_ADMIN[@]}"
kubelet_scenario gate-off
ck_fails 1 "ContainerCheckpoint feature gate is off" gate-off "${KUBELET_ADMIN[@]}"

step "500: the runtime's message; its deadline; no answer at all"
kubelet_scenario runtime-error
ck_fails 1 "criu failed: type NOTIFY errno 0" runtime-error "${KUBELET_ADMIN[@]}"
assert_contains "$(cat "$CK_ERR")" "could not checkpoint default/counters/counter (500)" "500"
kubelet_scenario deadline
ck_fails 1 "in time (500; a longer --kubelet-timeout may help)" deadline "${KUBELET_ADMIN[@]}"
kubelet_scenario hang
ck_fails 1 "gave no answer to the checkpoint of default/counters/counter within 31 s" hang \
    "${KUBELET_ADMIN[@]}" --kubelet-timeout 1

step "TLS: the kubelet's certificate is verified (no --ca-file: refused)"
kubelet_scenario ok
ck_fails 1 "give the kubelet's CA with --ca-file" no-ca --cert "$KUBELET_PKI/admin.crt" \
    --key "$KUBELET_PKI/admin.key"
ck_fails 1 "" wrong-ca --ca-file "$REG_WRONG_CA" --cert "$KUBELET_PKI/admin.crt" \
    --key "$KUBELET_PKI/admin.key"
ck insecure --kubelet-insecure-tls --cert "$KUBELET_PKI/admin.crt" --key "$KUBELET_PKI/admin.key" \
    -o "oci:$WORK/insecure:latest" -q
[[ $CK_STATUS == 0 ]] || fail "--kubelet-insecure-tls failed: $(cat "$CK_ERR")"

step "hostile answers: refused, nothing read, nothing pushed"
secret_sum=$(sha256sum <"$KUBELET_SECRET")
hostile() { # SCENARIO TEXT
    kubelet_scenario "$1"
    ck_fails 1 "$2" "hostile-$1" "${KUBELET_ADMIN[@]}" --push "$REG_HOST/hostile/$1:v1" "${PUSH[@]}" --rm
    assert_eq absent "$(reg_image_state "hostile/$1" v1)" "image after the $1 answer"
    assert_eq "$secret_sum" "$(sha256sum <"$KUBELET_SECRET")" "the secret after $1"
}
hostile not-json "answered with something that is not JSON"
hostile wrong-json "answered JSON that is not the checkpoint API's"
hostile no-items "answered JSON that is not the checkpoint API's"
hostile outside "is outside the checkpoints directory $KUBELET_DIR"
hostile dotdot "is not a file directly in the checkpoints directory"
hostile subdir "is not a file directly in the checkpoints directory"
hostile symlink "is a symbolic link; refusing to follow it"
hostile fifo "is a FIFO, not a regular file"
hostile directory "is a directory, not a regular file"
hostile hardlink "has 2 hard links"
hostile missing "cannot open the kubelet's archive"
[[ -e $KUBELET_SECRET ]] || fail "--rm removed what a hostile answer pointed at"
[[ -n $(find "$KUBELET_DIR" -maxdepth 1 -type l -name 'checkpoint-*') ]] ||
    fail "--rm removed the symlink a hostile answer named"

step "usage errors: exit 2 before the kubelet is asked"
kubelet_scenario ok
posts=$(kubelet_posts)
CK_TARGET=default/counters ck_fails 2 "expected NAMESPACE/POD/CONTAINER" bad-target "${KUBELET_ADMIN[@]}"
CK_TARGET=default/../counter ck_fails 2 "is not a Kubernetes name" dotdot-target "${KUBELET_ADMIN[@]}"
ck_fails 2 "--rm needs --push" rm-no-push "${KUBELET_ADMIN[@]}" --rm
ck_fails 2 "either --cert/--key or --token-file" both "${KUBELET_ADMIN[@]}" --token-file "$KUBELET_PKI/sa.token"
ck_fails 2 "--annotation" bad-annotation "${KUBELET_ADMIN[@]}" --annotation novalue
CK_KUBELET="http://${KUBELET_URL#https://}" ck_fails 2 "https only" http "${KUBELET_ADMIN[@]}"
assert_eq "$posts" "$(kubelet_posts)" "POSTs made by usage errors"

step "a kubelet that echoes the Authorization header: the token is not printed"
kubelet_scenario echo-auth
ck_fails 1 "(401 Unauthorized)" echo-auth "${KUBELET_SA[@]}"
assert_contains "$(cat "$CK_ERR")" 'the kubelet said "Unauthorized: Bearer <token>"' "the echo, redacted"
ck echo-auth-verbose "${KUBELET_SA[@]}" --verbose # the request trace too
kubelet_scenario ok

step "an archive that is not a checkpoint: its error names the kubelet's path, not a descriptor"
cp "$WORK/counter.tar" "$WORK/counter.good.tar"
"$CKIMG_GEN" --engine crio --bad no-config -o "$WORK/counter.tar" || fail "ckimg-gen --bad no-config"
ck_fails 1 "config.dump" bad-archive "${KUBELET_ADMIN[@]}" -o "oci:$WORK/bad:v1"
grep -q "$KUBELET_DIR/checkpoint-counters_default-counter-" "$CK_ERR" ||
    fail "the error does not name the kubelet's archive: $(cat "$CK_ERR")"
grep -q "/dev/fd" "$CK_ERR" && fail "the error names a descriptor: $(cat "$CK_ERR")"
assert_file_absent "$WORK/bad"
mv "$WORK/counter.good.tar" "$WORK/counter.tar"

step "no credential in any output"
assert_no_kubelet_secret "$WORK"/ck-*.out "$WORK"/ck-*.err
assert_no_secret "$WORK"/ck-*.out "$WORK"/ck-*.err

echo "test_checkpoint_kubelet: ok" >&2
