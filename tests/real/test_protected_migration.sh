#!/usr/bin/env bash
# A protected migration with the real peers (Debian 13's Podman 5 and skopeo 1.18 in
# tools/realenv, a real docker-registry on the host's loopback): node a checkpoints a stateful
# container; `ckimg build --format podman` encrypts it for node b's RSA key and signs it with a
# sigstore key, and pushes; node b decrypts and verifies with the real tools and restores, and the
# container goes on with its state.
#  - `podman pull --decryption-key` of the encrypted image, then `podman container restore`;
#    without the key, or with another key, podman refuses to pull it; the same for an image
#    encrypted for node b's X.509 certificate (PKCS7), pulled with key and certificate; and
#    ckimg decrypts what skopeo 1.18 encrypted for that certificate;
#  - under a policy.json requiring sigstoreSigned with ckimg's public key: `podman pull` of a signed
#    image is accepted (and restored) and refused when signed by another key; the encrypted and
#    signed image goes through `skopeo copy --decryption-key --remove-signatures` into node b's
#    storage (decrypting changes the manifest, so the signature cannot be kept, as skopeo documents:
#    the policy is still checked on the source) and restores.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
K=$WORK/keys
mkdir -p "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/node-b.pem" 2>/dev/null
openssl pkey -in "$K/node-b.pem" -pubout -out "$K/node-b.pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/other.pem" 2>/dev/null
openssl req -x509 -new -key "$K/node-b.pem" -subj "/O=ckimg real/CN=node b" -days 2 \
    -out "$K/node-b.crt" 2>/dev/null || fail "openssl req"
chmod 600 "$K"/*.pem
printf 'sign pass\n' >"$K/pass"
chmod 600 "$K/pass"
"$CKIMG" generate-sigstore-key --output-prefix "$K/sign" --passphrase-file "$K/pass" 2>/dev/null ||
    fail "ckimg generate-sigstore-key"
"$CKIMG" generate-sigstore-key --output-prefix "$K/intruder" --passphrase-file "$K/pass" 2>/dev/null ||
    fail "ckimg generate-sigstore-key (intruder)"
SIGN=(--sign-by-sigstore-private-key "$K/sign.private" --sign-passphrase-file "$K/pass")

# Node b's trust: sigstore attachments for the loopback registry, and a policy that rejects every
# image there not signed by ckimg's key. Mounted over the root's /etc/containers files inside the
# node's own mount namespace only (the cached root is not changed).
mkdir -p "$WORK/registries.d"
printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n' "$REG_HOST" >"$WORK/registries.d/ckimg.yaml"
cat >"$WORK/policy.json" <<JSON
{"default": [{"type": "insecureAcceptAnything"}],
 "transports": {
   "docker": {"$REG_HOST": [{"type": "sigstoreSigned", "keyPath": "$K/sign.pub",
                             "signedIdentity": {"type": "matchRepoDigestOrExact"}}]}}}
JSON
trusting() { # NODE CMD...: CMD on NODE under the signed-only policy
    local n=$1
    shift
    node "$n" sh -c 'set -e; rm -rf "$1/etc-containers"; cp -a /etc/containers "$1/etc-containers"
        cp -r "$1/registries.d" "$1/policy.json" "$1/etc-containers/"
        mount --bind "$1/etc-containers" /etc/containers; shift; exec "$@"' sh "$WORK" "$@"
}

# refused_then_restored REF WHAT KEY [CERT]: node b's podman refuses to pull REF with another
# node's key (and CERT, which PKCS7 needs beside the key), pulls it with KEY and CERT, restores it,
# and the container goes on.
refused_then_restored() {
    local ref=$1 what=$2 key=$3 extra=()
    [[ -n ${4:-} ]] && extra=(--decryption-key "$4")
    ! node b podman pull -q --tls-verify=false --decryption-key "$K/other.pem" "${extra[@]}" "$ref" \
        >/dev/null 2>"$WORK/other.err" ||
        fail "podman pulled the $what image with another node's key"
    grep -qi "decrypt" "$WORK/other.err" || fail "podman's refusal with another key names no decryption: $(cat "$WORK/other.err")"
    step "  other key: $(grep -i decrypt "$WORK/other.err" | tail -1)"
    node b podman pull -q --tls-verify=false --decryption-key "$key" "${extra[@]}" "$ref" >/dev/null 2>"$WORK/pull.err" ||
        fail "podman pull --decryption-key of ckimg's $what image: $(cat "$WORK/pull.err")"
    node b podman container restore "$ref" >/dev/null || fail "podman refused to restore the decrypted $what image"
    assert_restored b ctr "$CK_VALUE"
    remove_container b ctr
    node b podman rmi -f "$ref" >/dev/null
}

start_counter ctr
base_image b >/dev/null
checkpoint_export ctr "$WORK/ctr.tar" --compress zstd

step "encrypted for node b: podman pull --decryption-key, then restore"
ENC=$REG_HOST/protected/ctr:enc
"$CKIMG" build "$WORK/ctr.tar" --format podman --encryption-key "jwe:$K/node-b.pub.pem" \
    --push "$ENC" --insecure -q || fail "ckimg build --encryption-key --push"
"$CKIMG" inspect "$ENC" --insecure --json >"$WORK/enc.json" || fail "ckimg inspect of the encrypted image"
json_get "$WORK/enc.json" '[l["mediaType"] for l in d["image"]["layers"]]' | grep -q '+encrypted' ||
    fail "the pushed image has no encrypted layer: $(cat "$WORK/enc.json")"
! node b podman pull -q --tls-verify=false "$ENC" >/dev/null 2>"$WORK/nokey.err" ||
    fail "podman pulled the encrypted image without a key"
step "  no key: $(tail -1 "$WORK/nokey.err")"
refused_then_restored "$ENC" encrypted "$K/node-b.pem"

step "encrypted for node b's certificate (PKCS7): podman pull --decryption-key KEY --decryption-key CERT, then restore"
# Podman 5's ocicrypt reads PKCS7 with smallstep/pkcs7, not the fullsailor/pkcs7 of Debian 12's
# skopeo (tests/e2e/test_encryption_interop.sh): ckimg's envelope must open with both.
P7=$REG_HOST/protected/ctr:pkcs7
"$CKIMG" build "$WORK/ctr.tar" --format podman --encryption-key "pkcs7:$K/node-b.crt" \
    --push "$P7" --insecure -q || fail "ckimg build --encryption-key pkcs7: --push"
refused_then_restored "$P7" PKCS7-encrypted "$K/node-b.pem" "$K/node-b.crt"
step "  and ckimg decrypts what skopeo 1.18 encrypted for the certificate (smallstep/pkcs7's envelope)"
"$CKIMG" build "$WORK/ctr.tar" --format podman -o "oci:$WORK/plain:v1" -q || fail "plain build"
node b skopeo copy -q --encryption-key "pkcs7:$K/node-b.crt" "oci:$WORK/plain:v1" "oci:$WORK/sk-p7:v1" ||
    fail "skopeo 1.18 copy --encryption-key pkcs7:"
assert_contains "$("$CKIMG" inspect "oci:$WORK/sk-p7:v1" 2>&1 >/dev/null)" \
    "PKCS7 RSA issuer CN=node b,O=ckimg real" "inspect naming skopeo 1.18's PKCS7 recipient"
"$CKIMG" export "oci:$WORK/plain:v1" "$WORK/plain-export.tar" -q || fail "export of the plain image"
"$CKIMG" export "oci:$WORK/sk-p7:v1" "$WORK/p7-export.tar" --decryption-key "$K/node-b.pem" -q ||
    fail "ckimg could not decrypt skopeo 1.18's PKCS7 image"
cmp "$WORK/plain-export.tar" "$WORK/p7-export.tar" || fail "skopeo 1.18's PKCS7 image decrypts to another archive"

step "signed: podman pull under sigstoreSigned(ckimg's key) accepts it and restores; another key is refused"
SIGNED=$REG_HOST/protected/ctr:signed
"$CKIMG" build "$WORK/ctr.tar" --format podman --push "$SIGNED" --insecure -q "${SIGN[@]}" ||
    fail "ckimg build --push signed"
"$CKIMG" verify "$SIGNED" --key "$K/sign.pub" --insecure -q || fail "ckimg verify of its own signature"
INTRUDED=$REG_HOST/protected/intruded:v1
"$CKIMG" build "$WORK/ctr.tar" --format podman --push "$INTRUDED" --insecure -q \
    --sign-by-sigstore-private-key "$K/intruder.private" --sign-passphrase-file "$K/pass" ||
    fail "ckimg build --push signed by the intruder"
! trusting b podman pull -q --tls-verify=false "$INTRUDED" >/dev/null 2>"$WORK/intruded.err" ||
    fail "podman pulled an image signed by another key under the signed-only policy"
grep -qi signature "$WORK/intruded.err" || fail "podman's refusal names no signature: $(cat "$WORK/intruded.err")"
step "  another key: $(tail -1 "$WORK/intruded.err")"
trusting b podman pull -q --tls-verify=false "$SIGNED" >/dev/null 2>"$WORK/signed.err" ||
    fail "podman refused ckimg's signed image under the signed-only policy: $(cat "$WORK/signed.err")"
trusting b podman container restore "$SIGNED" >/dev/null || fail "podman refused to restore the signed image"
assert_restored b ctr "$CK_VALUE"
remove_container b ctr

step "encrypted and signed: skopeo copy --decryption-key --remove-signatures under the policy, then restore"
BOTH=$REG_HOST/protected/ctr:both
"$CKIMG" build "$WORK/ctr.tar" --format podman --encryption-key "jwe:$K/node-b.pub.pem" \
    --push "$BOTH" --insecure -q "${SIGN[@]}" || fail "ckimg build --encryption-key --sign --push"
"$CKIMG" verify "$BOTH" --key "$K/sign.pub" --insecure -q || fail "ckimg verify of the encrypted image"
# What Podman 5.4 says to `podman pull --decryption-key` of it under the policy (shown, not
# checked: it is the peer's rule): "we can't modify the manifest: Would invalidate signatures".
if trusting b podman pull -q --tls-verify=false --decryption-key "$K/node-b.pem" "$BOTH" >/dev/null 2>"$WORK/both-podman.err"; then
    step "  podman pull --decryption-key under the policy: accepted"
    node b podman rmi -f "$BOTH" >/dev/null
else
    step "  podman pull --decryption-key under the policy: $(tail -1 "$WORK/both-podman.err")"
fi
LOCAL=localhost/protected/ctr:both
trusting b skopeo copy -q --src-tls-verify=false --remove-signatures --decryption-key "$K/node-b.pem" \
    "docker://$BOTH" "containers-storage:$LOCAL" 2>"$WORK/both.err" ||
    fail "skopeo refused ckimg's encrypted, signed image: $(cat "$WORK/both.err")"
node b podman container restore "$LOCAL" >/dev/null || fail "podman refused to restore the decrypted, verified image"
assert_restored b ctr "$CK_VALUE"
echo "PASS: encrypted and signed checkpoint images pulled, decrypted, verified and restored by Podman"
