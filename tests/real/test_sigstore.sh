#!/usr/bin/env bash
# Sigstore signatures with the real peer: Debian 13's skopeo 1.18 (containers/image with
# sigstore) in tools/realenv, a real docker-registry on the host's loopback.
#  - `skopeo copy` under a policy.json requiring sigstoreSigned with ckimg's public key (and
#    registries.d use-sigstore-attachments) accepts ckimg's signed image, and refuses an image
#    signed by another key, an unsigned one, and a tag moved to another manifest;
#  - ckimg verify accepts what skopeo signed (skopeo generate-sigstore-key, copy
#    --sign-by-sigstore-private-key) and refuses it with another key;
#  - each reads the other's encrypted private key: skopeo signs with a key ckimg generated, ckimg
#    with one skopeo generated, and the other side verifies.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
F=("${REG_PUSH_FLAGS[@]}") # --insecure

printf 'ckimg pass\n' >"$WORK/pass"
printf 'skopeo pass\n' >"$WORK/spass"
"$CKIMG" generate-sigstore-key --output-prefix "$WORK/k" --passphrase-file "$WORK/pass" 2>/dev/null ||
    fail "ckimg generate-sigstore-key"
"$CKIMG" generate-sigstore-key --output-prefix "$WORK/other" --passphrase-file "$WORK/pass" 2>/dev/null ||
    fail "ckimg generate-sigstore-key (other)"
node a skopeo generate-sigstore-key --output-prefix "$WORK/sk" --passphrase-file "$WORK/spass" >/dev/null ||
    fail "skopeo generate-sigstore-key"
step "skopeo's key: $(head -1 "$WORK/sk.private")"

# registries.d: read and write signatures as sigstore attachments for the loopback registry.
mkdir -p "$WORK/registries.d"
printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n' "$REG_HOST" >"$WORK/registries.d/ckimg.yaml"
# policy_for KEY: reject everything but the loopback registry's images signed by KEY.
policy_for() {
    cat >"$WORK/policy.$(basename "$1").json" <<JSON
{"default": [{"type": "reject"}],
 "transports": {
   "docker": {"$REG_HOST": [{"type": "sigstoreSigned", "keyPath": "$1",
                             "signedIdentity": {"type": "matchRepoDigestOrExact"}}]},
   "oci": {"": [{"type": "insecureAcceptAnything"}]}}}
JSON
    echo "$WORK/policy.$(basename "$1").json"
}
PK=$(policy_for "$WORK/k.pub")
PSK=$(policy_for "$WORK/sk.pub")
OPEN=$WORK/policy.open.json
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$OPEN"

# skopeo_pull POLICY REF DIR: skopeo copy docker://REF oci:DIR under POLICY (the policy is checked
# on the source; an OCI layout cannot hold signatures, hence --remove-signatures); stderr in
# $WORK/skopeo.err
skopeo_pull() {
    node a skopeo --policy "$1" --registries.d "$WORK/registries.d" copy -q --remove-signatures --src-tls-verify=false \
        "docker://$2" "oci:$3:latest" 2>"$WORK/skopeo.err"
}

step "ckimg build --push signed; skopeo copy under sigstoreSigned(ckimg's key) accepts it"
make_archive "$WORK/app.tar" 4M
"$CKIMG" build "$WORK/app.tar" -o "oci:$WORK/app:latest" --push "$REG_HOST/real/signed:v1" "${F[@]}" -q \
    --sign-by-sigstore-private-key "$WORK/k.private" --sign-passphrase-file "$WORK/pass" ||
    fail "ckimg build --push signed"
skopeo_pull "$PK" "$REG_HOST/real/signed:v1" "$WORK/pulled" ||
    fail "skopeo refused ckimg's signed image: $(cat "$WORK/skopeo.err")"
[[ -f $WORK/pulled/index.json ]] || fail "skopeo wrote no layout"

step "skopeo refuses: signed by another key, unsigned, tag moved to another manifest"
"$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/real/other:v1" "${F[@]}" -q \
    --sign-by-sigstore-private-key "$WORK/other.private" --sign-passphrase-file "$WORK/pass" ||
    fail "ckimg push signed by other"
! skopeo_pull "$PK" "$REG_HOST/real/other:v1" "$WORK/p-other" ||
    fail "skopeo accepted an image signed by another key"
step "  other key: $(tail -1 "$WORK/skopeo.err")"
grep -qi "signature" "$WORK/skopeo.err" || fail "skopeo's refusal does not mention a signature: $(cat "$WORK/skopeo.err")"
"$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/real/unsigned:v1" "${F[@]}" -q || fail "ckimg push unsigned"
! skopeo_pull "$PK" "$REG_HOST/real/unsigned:v1" "$WORK/p-unsigned" || fail "skopeo accepted an unsigned image"
step "  unsigned: $(tail -1 "$WORK/skopeo.err")"
make_archive "$WORK/b.tar" 2M --container b --seed 7
"$CKIMG" build "$WORK/b.tar" -o "oci:$WORK/b:latest" -q || fail "build b"
"$CKIMG" push "oci:$WORK/b:latest" "$REG_HOST/real/signed:v1" "${F[@]}" -q || fail "move the tag"
! skopeo_pull "$PK" "$REG_HOST/real/signed:v1" "$WORK/p-moved" || fail "skopeo accepted a moved tag"
step "  moved: $(tail -1 "$WORK/skopeo.err")"

step "skopeo 1.18 signs (its own key); ckimg verify accepts it, and refuses it with another key"
node a skopeo --policy "$OPEN" --registries.d "$WORK/registries.d" copy -q --dest-tls-verify=false \
    --sign-by-sigstore-private-key "$WORK/sk.private" --sign-passphrase-file "$WORK/spass" \
    "oci:$WORK/app:latest" "docker://$REG_HOST/real/byskopeo:v1" 2>"$WORK/skopeo.err" ||
    fail "skopeo copy --sign-by-sigstore-private-key: $(cat "$WORK/skopeo.err")"
"$CKIMG" verify "$REG_HOST/real/byskopeo:v1" --key "$WORK/sk.pub" "${F[@]}" --json >"$WORK/v.json" 2>"$WORK/v.err" ||
    fail "ckimg verify refused skopeo's signature: $(cat "$WORK/v.err")"
assert_eq "$REG_HOST/real/byskopeo:v1" "$(reg_json "$WORK/v.json" 'd["identity"]')" "identity skopeo signed"
ck_fails 1 "no valid sigstore signature by $WORK/k.pub" byskopeo-other verify "$REG_HOST/real/byskopeo:v1" --key "$WORK/k.pub" "${F[@]}"

step "the keys cross over: skopeo signs with ckimg's key, ckimg with skopeo's"
node a skopeo --policy "$OPEN" --registries.d "$WORK/registries.d" copy -q --dest-tls-verify=false \
    --sign-by-sigstore-private-key "$WORK/k.private" --sign-passphrase-file "$WORK/pass" \
    "oci:$WORK/b:latest" "docker://$REG_HOST/real/skopeo-ckkey:v1" 2>"$WORK/skopeo.err" ||
    fail "skopeo could not sign with ckimg's private key: $(cat "$WORK/skopeo.err")"
"$CKIMG" verify "$REG_HOST/real/skopeo-ckkey:v1" --key "$WORK/k.pub" "${F[@]}" -q ||
    fail "ckimg verify of skopeo's signature made with ckimg's key"
"$CKIMG" push "oci:$WORK/b:latest" "$REG_HOST/real/ck-skkey:v1" "${F[@]}" -q \
    --sign-by-sigstore-private-key "$WORK/sk.private" --sign-passphrase-file "$WORK/spass" ||
    fail "ckimg could not sign with skopeo's private key"
skopeo_pull "$PSK" "$REG_HOST/real/ck-skkey:v1" "$WORK/p-skkey" ||
    fail "skopeo refused ckimg's signature made with skopeo's key: $(cat "$WORK/skopeo.err")"
! skopeo_pull "$PK" "$REG_HOST/real/ck-skkey:v1" "$WORK/p-skkey2" ||
    fail "skopeo accepted ckimg's signature with the wrong key in the policy"
echo PASS
