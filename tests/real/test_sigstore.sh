#!/usr/bin/env bash
# Sigstore interoperability with Debian 13's skopeo 1.18 (tools/realenv), a real docker-registry
# on loopback:
#  - skopeo copy under a policy.json requiring sigstoreSigned with ckimg's public key (and
#    registries.d use-sigstore-attachments: true) accepts the image ckimg pushed and signed, and
#    refuses it under another key's policy;
#  - ckimg verify accepts what `skopeo copy --sign-by-sigstore-private-key` signed with a key of
#    `skopeo generate-sigstore-key`, and refuses it with ckimg's key.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
node a skopeo --version >&2 || fail "no skopeo in the real root"

printf 'pass phrase\n' >"$WORK/pass"
"$CKIMG" generate-sigstore-key --output-prefix "$WORK/ck" --passphrase-file "$WORK/pass" ||
    fail "ckimg generate-sigstore-key failed"
"$CKIMG" generate-sigstore-key --output-prefix "$WORK/other" --passphrase-file "$WORK/pass" ||
    fail "ckimg generate-sigstore-key failed"

mkdir -p "$WORK/registries.d"
cat >"$WORK/registries.d/local.yaml" <<YAML
docker:
  $REG_HOST:
    use-sigstore-attachments: true
YAML
policy() { # FILE PUBKEY
    cat >"$1" <<JSON
{"default":[{"type":"reject"}],
 "transports":{"docker":{"$REG_HOST":[{"type":"sigstoreSigned","keyPath":"$2",
                                        "signedIdentity":{"type":"matchRepoDigestOrExact"}}]},
               "dir":{"":[{"type":"insecureAcceptAnything"}]}}}
JSON
}
policy "$WORK/policy-ck.json" "$WORK/ck.pub"
policy "$WORK/policy-other.json" "$WORK/other.pub"

step "ckimg build --push signed; skopeo copy under a sigstoreSigned policy accepts it"
make_archive "$WORK/app.tar" 4M
ref=$REG_HOST/sig/app:v1
"$CKIMG" build "$WORK/app.tar" --push "$ref" --insecure -q \
    --sign-by-sigstore-private-key "$WORK/ck.private" --sign-passphrase-file "$WORK/pass" ||
    fail "ckimg build --push --sign-by-sigstore-private-key failed"
node a skopeo copy --src-tls-verify=false --policy "$WORK/policy-ck.json" \
    --registries.d "$WORK/registries.d" "docker://$ref" "dir:$WORK/copied" >/dev/null 2>"$WORK/skopeo.err" ||
    fail "skopeo refused ckimg's signature: $(cat "$WORK/skopeo.err")"
[[ -f $WORK/copied/manifest.json ]] || fail "skopeo copied nothing"

step "skopeo copy under another key's policy refuses it"
if node a skopeo copy --src-tls-verify=false --policy "$WORK/policy-other.json" \
    --registries.d "$WORK/registries.d" "docker://$ref" "dir:$WORK/refused" >/dev/null 2>"$WORK/skopeo.err"; then
    fail "skopeo accepted ckimg's image under another key's policy"
fi
grep -qi "signature" "$WORK/skopeo.err" || fail "skopeo refused for another reason: $(cat "$WORK/skopeo.err")"

step "skopeo generate-sigstore-key + copy --sign-by-sigstore-private-key; ckimg verify accepts it"
node a skopeo generate-sigstore-key --output-prefix "$WORK/sk" --passphrase-file "$WORK/pass" >&2 ||
    fail "skopeo generate-sigstore-key failed"
sref=$REG_HOST/sig/skopeo:v1
node a skopeo copy --dest-tls-verify=false --registries.d "$WORK/registries.d" \
    --sign-by-sigstore-private-key "$WORK/sk.private" --sign-passphrase-file "$WORK/pass" \
    "dir:$WORK/copied" "docker://$sref" >&2 || fail "skopeo copy --sign-by-sigstore-private-key failed"
"$CKIMG" verify "$sref" --key "$WORK/sk.pub" --insecure 2>"$WORK/verify.err" ||
    fail "ckimg verify refused skopeo's signature: $(cat "$WORK/verify.err")"
run_fails 1 "no valid sigstore signature" "$CKIMG" verify "$sref" --key "$WORK/ck.pub" --insecure

step "ckimg signs with skopeo's key (its encrypted private key read); skopeo accepts"
sref2=$REG_HOST/sig/app2:v1
"$CKIMG" build "$WORK/app.tar" --push "$sref2" --insecure -q \
    --sign-by-sigstore-private-key "$WORK/sk.private" --sign-passphrase-file "$WORK/pass" ||
    fail "ckimg could not sign with skopeo's key"
policy "$WORK/policy-sk.json" "$WORK/sk.pub"
node a skopeo copy --src-tls-verify=false --policy "$WORK/policy-sk.json" \
    --registries.d "$WORK/registries.d" "docker://$sref2" "dir:$WORK/copied2" >/dev/null 2>"$WORK/skopeo.err" ||
    fail "skopeo refused ckimg's signature by skopeo's key: $(cat "$WORK/skopeo.err")"
echo PASS
