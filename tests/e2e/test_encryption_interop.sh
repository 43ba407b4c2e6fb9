#!/usr/bin/env bash
# ocicrypt layer encryption against the real peer, Debian's skopeo (containers/image's copy with
# containers/ocicrypt): ckimg's encrypted images (every format; RSA and EC recipients, one or
# several) decrypt with `skopeo copy --decryption-key` to exactly the layers of the unencrypted
# build, and ckimg decrypts what `skopeo copy --encryption-key jwe:...` encrypted (export, pull,
# convert) to the original checkpoint. The copier's side (a registry on loopback): push and copy
# --encryption-key (skopeo pulls and decrypts the pushed image to the plain build's layers),
# copy --decryption-key (the plain image's digest back), copy --sign-by-sigstore-private-key
# (ckimg verify accepts it), inspect --decryption-key (the plain image's checkpoint facts). PKCS7
# (X.509 certificate) recipients both ways: skopeo's pkcs7: images open with the RSA key alone or
# skopeo's key+certificate pair, and skopeo decrypts ckimg's PKCS7+JWE images of every format. Then
# the refusals: a wrong key, no key, a tampered blob, a passphrase in clear; each one line on
# stderr, exit 1 (2 for usage), nothing written.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo
need openssl

SKOPEO=(skopeo --insecure-policy)
export HOME=$WORK/home && mkdir -p "$HOME"

step "keys: RSA (PKCS#8 and PKCS#1), EC P-256 (SEC1), an encrypted PKCS#8 key"
K=$WORK/keys && mkdir -m 700 "$K"
openssl genrsa -out "$K/rsa.pem" 2048 2>/dev/null
openssl rsa -in "$K/rsa.pem" -pubout -out "$K/rsa.pub.pem" 2>/dev/null
openssl rsa -in "$K/rsa.pem" -traditional -out "$K/rsa1.pem" 2>/dev/null
openssl ecparam -genkey -name prime256v1 -noout -out "$K/ec.pem"
openssl ec -in "$K/ec.pem" -pubout -out "$K/ec.pub.pem" 2>/dev/null
# skopeo 1.9 (ocicrypt 1.1) takes EC private keys only as PKCS#8, not SEC1.
openssl pkcs8 -topk8 -nocrypt -in "$K/ec.pem" -out "$K/ec8.pem"
openssl ecparam -genkey -name prime256v1 -noout -out "$K/other.pem"
printf 'correct horse\n' >"$K/pass"
openssl pkcs8 -topk8 -in "$K/ec.pem" -out "$K/ec.enc.pem" -v2 aes-256-cbc -passout file:"$K/pass"
chmod 600 "$K"/*

# layers DIR TAG: the manifest's layer digests and media types, one per line.
layers() {
    python3 - "$1" "$2" <<'PY'
import json, os, sys
root, tag = sys.argv[1], sys.argv[2]
blob = lambda d: json.load(open(os.path.join(root, "blobs", *d.split(":", 1))))
top = json.load(open(os.path.join(root, "index.json")))
d = next(m["digest"] for m in top["manifests"]
         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
m = blob(d)
while "manifests" in m:
    m = blob(m["manifests"][0]["digest"])
print(m["config"]["digest"])
for l in m["layers"]:
    print(l["mediaType"], l["digest"], l["size"], sorted(l.get("annotations", {})))
PY
}

"$CKIMG_GEN" --engine crio -o "$WORK/ck.tar" --pages-size 2M || fail "ckimg-gen failed"
CREATED=(--created 2026-11-22T08:00:01Z)

for format in crio podman oci-checkpoint; do
    step "$format: ckimg build --encryption-key (RSA and EC) -> skopeo decrypts to the plain build"
    "$CKIMG" build "$WORK/ck.tar" --format "$format" "${CREATED[@]}" -o "oci:$WORK/plain-$format:v1" -q
    "$CKIMG" build "$WORK/ck.tar" --format "$format" "${CREATED[@]}" -o "oci:$WORK/enc-$format:v1" \
        --encryption-key "jwe:$K/rsa.pub.pem" --encryption-key "jwe:$K/ec.pub.pem" --json \
        >"$WORK/enc-$format.json" || fail "encrypted build ($format)"
    layers "$WORK/enc-$format" v1 >"$WORK/enc-$format.layers"
    layers "$WORK/plain-$format" v1 >"$WORK/plain-$format.layers"
    grep -q '+encrypted .*org.opencontainers.image.enc.keys.jwe' "$WORK/enc-$format.layers" ||
        fail "$format: no encrypted layer: $(cat "$WORK/enc-$format.layers")"
    grep -q '+encrypted' "$WORK/plain-$format.layers" && fail "$format: the plain build is encrypted"
    assert_eq "$(head -1 "$WORK/plain-$format.layers")" "$(head -1 "$WORK/enc-$format.layers")" \
        "$format: the config (diff IDs) is unchanged"
    for key in rsa.pem ec8.pem; do
        rm -rf "$WORK/dec"
        "${SKOPEO[@]}" copy -q --decryption-key "$K/$key" "oci:$WORK/enc-$format:v1" "oci:$WORK/dec:v1" \
            2>"$WORK/skopeo.err" || fail "$format: skopeo could not decrypt with $key: $(cat "$WORK/skopeo.err")"
        layers "$WORK/dec" v1 >"$WORK/dec.layers"
        diff "$WORK/plain-$format.layers" "$WORK/dec.layers" ||
            fail "$format: skopeo's decryption with $key differs from the unencrypted build"
    done
    step "$format: ckimg export --decryption-key gives the original archive"
    "$CKIMG" export "oci:$WORK/enc-$format:v1" "$WORK/out.tar" --decryption-key "$K/rsa1.pem" -q ||
        fail "$format: export with the PKCS#1 key"
    "$CKIMG" export "oci:$WORK/plain-$format:v1" "$WORK/plain.tar" -q
    cmp "$WORK/plain.tar" "$WORK/out.tar" || fail "$format: decrypted export differs"
    rm -f "$WORK/out.tar" "$WORK/plain.tar"
    "$CKIMG" inspect --json "oci:$WORK/enc-$format:v1" >"$WORK/inspect.json" || fail "inspect $format"
    assert_eq "['RSA-OAEP', 'ECDH-ES+A256KW P-256']" \
        "$(json_get "$WORK/inspect.json" '[l["encryption"]["recipients"] for l in d["image"]["layers"] if l["encryption"]][0]')" \
        "$format: inspect shows the recipients"
done

for compression in none zstd; do
    # An uncompressed layer's unencrypted digest is its diff ID (not hashed twice): skopeo checks
    # it against the private options after decrypting.
    step "podman --compression $compression: skopeo decrypts to the plain build"
    "$CKIMG" build "$WORK/ck.tar" --format podman --compression "$compression" "${CREATED[@]}" \
        -o "oci:$WORK/plain-$compression:v1" -q
    "$CKIMG" build "$WORK/ck.tar" --format podman --compression "$compression" "${CREATED[@]}" \
        -o "oci:$WORK/enc-$compression:v1" -q --encryption-key "jwe:$K/rsa.pub.pem" ||
        fail "encrypted build (--compression $compression)"
    layers "$WORK/enc-$compression" v1 | grep -q '+encrypted' ||
        fail "--compression $compression: no encrypted layer"
    rm -rf "$WORK/dec"
    "${SKOPEO[@]}" copy -q --decryption-key "$K/rsa.pem" "oci:$WORK/enc-$compression:v1" "oci:$WORK/dec:v1" \
        2>"$WORK/skopeo.err" || fail "--compression $compression: skopeo could not decrypt: $(cat "$WORK/skopeo.err")"
    diff <(layers "$WORK/plain-$compression" v1) <(layers "$WORK/dec" v1) ||
        fail "--compression $compression: skopeo's decryption differs from the unencrypted build"
    rm -rf "$WORK/dec"
    "$CKIMG" copy "oci:$WORK/enc-$compression:v1" "oci:$WORK/dec:v1" -q --decryption-key "$K/rsa.pem" ||
        fail "--compression $compression: ckimg copy --decryption-key"
    assert_eq "$(layout_digest "$WORK/plain-$compression" v1)" "$(layout_digest "$WORK/dec" v1)" \
        "--compression $compression: digest of the image ckimg decrypted"
done

step "oci-checkpoint: the metadata layer stays readable, every other layer is encrypted"
grep -q 'checkpoint.metadata.v1.tar+gzip sha' "$WORK/enc-oci-checkpoint.layers" ||
    fail "the metadata layer was encrypted: $(cat "$WORK/enc-oci-checkpoint.layers")"
assert_eq "$(($(wc -l <"$WORK/enc-oci-checkpoint.layers") - 2))" \
    "$(grep -c '+encrypted' "$WORK/enc-oci-checkpoint.layers")" "encrypted layers of oci-checkpoint"
"$CKIMG" inspect "oci:$WORK/enc-oci-checkpoint:v1" >/dev/null 2>"$WORK/inspect.txt" || fail "inspect"
grep -q "checkpoint image, format oci-checkpoint" "$WORK/inspect.txt" || fail "inspect without a key: $(cat "$WORK/inspect.txt")"

step "--encrypt-layer: only the chosen layer of an oci-checkpoint image"
"$CKIMG" build "$WORK/ck.tar" --format oci-checkpoint "${CREATED[@]}" -o "oci:$WORK/one:v1" -q \
    --encryption-key "jwe:$K/ec.pub.pem" --encrypt-layer 1
layers "$WORK/one" v1 | grep -c '+encrypted' | grep -qx 1 || fail "--encrypt-layer 1 did not encrypt exactly one layer"

start_registry plain
for format in crio podman oci-checkpoint; do
    step "$format: push --encryption-key -> skopeo pulls and decrypts the plain build's layers"
    "$CKIMG" push "oci:$WORK/plain-$format:v1" "$REG_HOST/e2e/enc-$format:v1" --insecure -q \
        --encryption-key "jwe:$K/rsa.pub.pem" || fail "push --encryption-key ($format)"
    "$CKIMG" copy "$REG_HOST/e2e/enc-$format:v1" "oci:$WORK/pushed-$format:v1" --insecure -q ||
        fail "copy of the pushed $format image"
    layers "$WORK/pushed-$format" v1 >"$WORK/pushed.layers"
    grep -q '+encrypted .*org.opencontainers.image.enc.keys.jwe' "$WORK/pushed.layers" ||
        fail "$format: the pushed image is not encrypted: $(cat "$WORK/pushed.layers")"
    assert_eq "$(grep -c '+encrypted' "$WORK/enc-$format.layers")" "$(grep -c '+encrypted' "$WORK/pushed.layers")" \
        "$format: push encrypts the layers build encrypts"
    rm -rf "$WORK/dec"
    "${SKOPEO[@]}" copy -q --src-tls-verify=false --decryption-key "$K/rsa.pem" \
        "docker://$REG_HOST/e2e/enc-$format:v1" "oci:$WORK/dec:v1" 2>"$WORK/skopeo.err" ||
        fail "$format: skopeo could not pull and decrypt: $(cat "$WORK/skopeo.err")"
    layers "$WORK/dec" v1 >"$WORK/dec.layers"
    diff "$WORK/plain-$format.layers" "$WORK/dec.layers" ||
        fail "$format: skopeo's decryption of the pushed image differs from the unencrypted build"

    step "$format: inspect --decryption-key shows the plain image's checkpoint facts"
    "$CKIMG" inspect --json "oci:$WORK/plain-$format:v1" >"$WORK/plain-inspect.json"
    "$CKIMG" inspect --json "oci:$WORK/enc-$format:v1" --decryption-key "$K/rsa.pem" >"$WORK/dec-inspect.json" ||
        fail "$format: inspect --decryption-key"
    assert_eq "$(json_get "$WORK/plain-inspect.json" 'd["checkpoint"]')" \
        "$(json_get "$WORK/dec-inspect.json" 'd["checkpoint"]')" "$format: checkpoint facts with the key"
    assert_eq "$(json_get "$WORK/plain-inspect.json" '[l["digest"] for l in d["image"]["layers"]]')" \
        "$(json_get "$WORK/dec-inspect.json" '[(l["encryption"] or {}).get("decrypted", l)["digest"] for l in d["image"]["layers"]]')" \
        "$format: the layers inspect says the encrypted ones decrypt to"
    # (the human report is on stderr)
    "$CKIMG" inspect "oci:$WORK/plain-$format:v1" 2>&1 >/dev/null |
        sed -n '/checkpoint (as the image records it)/,$p' >"$WORK/plain-inspect.txt"
    "$CKIMG" inspect "oci:$WORK/enc-$format:v1" --decryption-key "$K/ec.pem" 2>"$WORK/dec-inspect.full" ||
        fail "$format: inspect --decryption-key (EC): $(cat "$WORK/dec-inspect.full")"
    sed -n '/checkpoint (as the image records it)/,$p' "$WORK/dec-inspect.full" >"$WORK/dec-inspect.txt"
    grep -q '^  container ' "$WORK/plain-inspect.txt" || fail "$format: inspect shows no container: $(cat "$WORK/plain-inspect.txt")"
    diff "$WORK/plain-inspect.txt" "$WORK/dec-inspect.txt" || fail "$format: inspect --decryption-key shows other facts"
    grep -q 'encrypted (AES_256_CTR_HMAC_SHA256) for .*; decrypts to sha256:' "$WORK/dec-inspect.full" ||
        fail "$format: inspect does not say what the layers decrypt to: $(cat "$WORK/dec-inspect.full")"
done

step "copy --encryption-key, then copy --decryption-key: the unencrypted image's digest back"
"$CKIMG" copy "oci:$WORK/plain-oci-checkpoint:v1" "oci:$WORK/cenc:v1" -q \
    --encryption-key "jwe:$K/rsa.pub.pem" --encryption-key "jwe:$K/ec.pub.pem" || fail "copy --encryption-key"
layers "$WORK/cenc" v1 >"$WORK/cenc.layers"
assert_eq "$(head -1 "$WORK/plain-oci-checkpoint.layers")" "$(head -1 "$WORK/cenc.layers")" "copy keeps the config"
grep -q 'checkpoint.metadata.v1.tar+gzip sha' "$WORK/cenc.layers" ||
    fail "copy encrypted the metadata layer: $(cat "$WORK/cenc.layers")"
assert_eq "$(($(wc -l <"$WORK/cenc.layers") - 2))" "$(grep -c '+encrypted' "$WORK/cenc.layers")" \
    "layers copy --encryption-key encrypts"
[[ $(layout_digest "$WORK/cenc" v1) != "$(layout_digest "$WORK/plain-oci-checkpoint" v1)" ]] ||
    fail "the encrypted copy has the plain image's digest"
for key in rsa.pem ec.pem; do
    rm -rf "$WORK/cdec"
    "$CKIMG" copy "oci:$WORK/cenc:v1" "oci:$WORK/cdec:v1" -q --decryption-key "$K/$key" ||
        fail "copy --decryption-key $key"
    assert_eq "$(layout_digest "$WORK/plain-oci-checkpoint" v1)" "$(layout_digest "$WORK/cdec" v1)" \
        "digest of the copy decrypted with $key"
done
"$CKIMG" copy "oci:$WORK/cenc:v1" "oci:$WORK/one:v2" -q --encryption-key "jwe:$K/ec.pub.pem" --encrypt-layer -1
assert_eq "$(layout_digest "$WORK/cenc" v1)" "$(layout_digest "$WORK/one" v2)" \
    "copy --encryption-key of layers already encrypted changes nothing"
"$CKIMG" copy "oci:$WORK/plain-oci-checkpoint:v1" "oci:$WORK/last:v1" -q \
    --encryption-key "jwe:$K/ec.pub.pem" --encrypt-layer -1
layers "$WORK/last" v1 | tail -n +2 | grep -n '+encrypted' | cut -d: -f1 | tr '\n' ' ' >"$WORK/last.which"
assert_eq "$(($(wc -l <"$WORK/cenc.layers") - 1)) " "$(cat "$WORK/last.which")" "--encrypt-layer -1 encrypts the last layer only"

step "copy to a registry --sign-by-sigstore-private-key: ckimg verify accepts it"
printf 'sign me\n' >"$K/signpass"
"$CKIMG" generate-sigstore-key --output-prefix "$K/signer" --passphrase-file "$K/signpass" ||
    fail "generate-sigstore-key"
"$CKIMG" copy "oci:$WORK/plain-crio:v1" "$REG_HOST/e2e/signed:v1" --insecure --json \
    --encryption-key "jwe:$K/rsa.pub.pem" \
    --sign-by-sigstore-private-key "$K/signer.private" --sign-passphrase-file "$K/signpass" \
    >"$WORK/signed.json" || fail "copy --encryption-key --sign-by-sigstore-private-key"
"$CKIMG" verify "$REG_HOST/e2e/signed:v1" --key "$K/signer.pub" --insecure -q 2>"$WORK/verify.err" ||
    fail "verify of the signed copy: $(cat "$WORK/verify.err")"
"$CKIMG" copy "$REG_HOST/e2e/signed:v1" "oci:$WORK/signed:v1" --insecure -q --decryption-key "$K/rsa.pem" ||
    fail "copy of the signed encrypted image back, decrypted"
assert_eq "$(layout_digest "$WORK/plain-crio" v1)" "$(layout_digest "$WORK/signed" v1)" \
    "the signed encrypted copy decrypts to the plain image"
"$CKIMG" copy "$REG_HOST/e2e/enc-crio:v1" "$REG_HOST/e2e/mirror:v1" --insecure -q \
    --sign-by-sigstore-private-key "$K/signer.private" --sign-passphrase-file "$K/signpass" ||
    fail "registry-to-registry copy with signing"
"$CKIMG" verify "$REG_HOST/e2e/mirror:v1" --key "$K/signer.pub" --insecure -q || fail "verify of the mirror"
run_fails 1 "no sigstore signatures" "$CKIMG" verify "$REG_HOST/e2e/enc-crio:v1" --key "$K/signer.pub" --insecure
run_fails 2 "needs a registry destination" "$CKIMG" copy "oci:$WORK/plain-crio:v1" "oci:$WORK/x:v1" \
    --sign-by-sigstore-private-key "$K/signer.private"
assert_file_absent "$WORK/x"

step "copy and inspect refusals: a wrong key is one line, exit 1, nothing written"
run_fails 1 "none of the decryption keys" "$CKIMG" copy "oci:$WORK/cenc:v1" "oci:$WORK/x:v1" --decryption-key "$K/other.pem"
assert_file_absent "$WORK/x"
run_fails 1 "none of the decryption keys" "$CKIMG" copy "oci:$WORK/cenc:v1" "$REG_HOST/e2e/x:v1" --insecure \
    --decryption-key "$K/other.pem"
curl -sf "http://$REG_HOST/v2/e2e/x/tags/list" >/dev/null && fail "a refused copy created e2e/x"
run_fails 1 "none of the decryption keys" "$CKIMG" inspect "oci:$WORK/cenc:v1" --decryption-key "$K/other.pem"
run_fails 2 "jwe:" "$CKIMG" push "oci:$WORK/plain-crio:v1" "$REG_HOST/e2e/x:v1" --insecure --encryption-key "pgp:$K/rsa.pub.pem"
run_fails 2 "--encrypt-layer needs --encryption-key" "$CKIMG" copy "oci:$WORK/plain-crio:v1" "oci:$WORK/x:v1" --encrypt-layer 0
assert_file_absent "$WORK/x"
curl -sf "http://$REG_HOST/v2/e2e/x/tags/list" >/dev/null && fail "a refused push created e2e/x"

step "skopeo copy --encryption-key (RSA; EC; both) -> ckimg export, pull and convert decrypt it"
"${SKOPEO[@]}" copy -q --encryption-key "jwe:$K/rsa.pub.pem" "oci:$WORK/plain-crio:v1" "oci:$WORK/sk-rsa:v1" ||
    fail "skopeo encrypt (RSA)"
"${SKOPEO[@]}" copy -q --encryption-key "jwe:$K/ec.pub.pem" "oci:$WORK/plain-crio:v1" "oci:$WORK/sk-ec:v1" ||
    fail "skopeo encrypt (EC)"
"${SKOPEO[@]}" copy -q --encryption-key "jwe:$K/rsa.pub.pem" --encryption-key "jwe:$K/ec.pub.pem" \
    "oci:$WORK/plain-crio:v1" "oci:$WORK/sk-both:v1" || fail "skopeo encrypt (RSA and EC)"
"$CKIMG" export "oci:$WORK/plain-crio:v1" "$WORK/plain.tar" -q
for case in "sk-rsa rsa.pem" "sk-ec ec.pem" "sk-both ec.pem" "sk-both rsa.pem" \
    "sk-ec ec.enc.pem:file=$K/pass"; do
    read -r image key <<<"$case"
    "$CKIMG" export "oci:$WORK/$image:v1" "$WORK/out.tar" --decryption-key "$K/$key" -q ||
        fail "ckimg could not decrypt skopeo's $image with $key"
    cmp "$WORK/plain.tar" "$WORK/out.tar" || fail "$image with $key: the archive differs"
    rm -f "$WORK/out.tar"
done
"$CKIMG" pull "oci:$WORK/sk-ec:v1" -o "oci:$WORK/pulled:v1" --decryption-key "$K/ec.pem" -q ||
    fail "pull --decryption-key"
diff <(layers "$WORK/plain-crio" v1 | tail -n +2) <(layers "$WORK/pulled" v1 | tail -n +2) ||
    fail "pull --decryption-key: layers differ from the unencrypted image"
"$CKIMG" convert "oci:$WORK/sk-rsa:v1" --format oci-checkpoint -o "oci:$WORK/conv:v1" \
    --decryption-key "$K/rsa.pem" --encryption-key "jwe:$K/ec.pub.pem" -q || fail "convert --decryption-key"
diff <(layers "$WORK/enc-oci-checkpoint" v1 | tail -n +2 | cut -d' ' -f1,3) <(layers "$WORK/conv" v1 | tail -n +2 | cut -d' ' -f1,3) ||
    fail "convert: decrypted crio re-encrypted as oci-checkpoint differs from the direct build"

step "PKCS7 (X.509 certificate recipients): skopeo -> ckimg and ckimg -> skopeo"
openssl req -x509 -new -key "$K/rsa.pem" -subj "/O=ckimg e2e/CN=pkcs7 recipient" -days 2 \
    -set_serial 0x5eed -out "$K/rsa.crt" 2>/dev/null || fail "openssl req (RSA)"
openssl req -x509 -new -key "$K/ec.pem" -subj "/CN=ec recipient" -days 2 -out "$K/ec.crt" 2>/dev/null ||
    fail "openssl req (EC)"
"${SKOPEO[@]}" copy -q --encryption-key "pkcs7:$K/rsa.crt" "oci:$WORK/plain-crio:v1" "oci:$WORK/sk-p7:v1" ||
    fail "skopeo encrypt (PKCS7)"
# skopeo needs the certificate beside the key to decrypt; ckimg finds the recipient with the key
# alone, and takes skopeo's pair of flags too (the certificate is skipped as a key).
for keys in "$K/rsa.pem" "$K/rsa.crt $K/rsa.pem"; do
    flags=() && for key in $keys; do flags+=(--decryption-key "$key"); done
    "$CKIMG" export "oci:$WORK/sk-p7:v1" "$WORK/out.tar" "${flags[@]}" -q ||
        fail "ckimg could not decrypt skopeo's PKCS7 image with $keys"
    cmp "$WORK/plain.tar" "$WORK/out.tar" || fail "PKCS7 with $keys: the archive differs"
    rm -f "$WORK/out.tar"
done
"$CKIMG" inspect "oci:$WORK/sk-p7:v1" 2>"$WORK/p7.inspect" >/dev/null || fail "inspect of skopeo's PKCS7 image"
assert_contains "$(cat "$WORK/p7.inspect")" "PKCS7 RSA issuer CN=pkcs7 recipient,O=ckimg e2e serial 5eed" \
    "inspect names the PKCS7 recipient"
run_fails 1 "none of the decryption keys" "$CKIMG" export "oci:$WORK/sk-p7:v1" "$WORK/x.tar" --decryption-key "$K/ec.pem"
run_fails 2 "is a certificate, not a private key" "$CKIMG" export "oci:$WORK/sk-p7:v1" "$WORK/x.tar" \
    --decryption-key "$K/rsa.crt"
assert_file_absent "$WORK/x.tar"
for format in crio podman oci-checkpoint; do
    "$CKIMG" build "$WORK/ck.tar" --format "$format" "${CREATED[@]}" -o "oci:$WORK/p7-$format:v1" -q \
        --encryption-key "pkcs7:$K/rsa.crt" --encryption-key "jwe:$K/ec.pub.pem" || fail "PKCS7 build ($format)"
    layers "$WORK/p7-$format" v1 >"$WORK/p7.layers"
    grep -q "+encrypted .*enc.keys.jwe.*enc.keys.pkcs7" "$WORK/p7.layers" ||
        fail "$format: no layer for both kinds of recipient: $(cat "$WORK/p7.layers")"
    for keys in "$K/rsa.pem $K/rsa.crt" "$K/ec8.pem"; do
        flags=() && for key in $keys; do flags+=(--decryption-key "$key"); done
        rm -rf "$WORK/dec"
        "${SKOPEO[@]}" copy -q "${flags[@]}" "oci:$WORK/p7-$format:v1" "oci:$WORK/dec:v1" 2>"$WORK/skopeo.err" ||
            fail "$format: skopeo could not decrypt ckimg's PKCS7+JWE image with $keys: $(cat "$WORK/skopeo.err")"
        diff "$WORK/plain-$format.layers" <(layers "$WORK/dec" v1) ||
            fail "$format: skopeo's decryption with $keys differs from the unencrypted build"
    done
done
"$CKIMG" copy "oci:$WORK/plain-podman:v1" "oci:$WORK/p7-copy:v1" --encryption-key "pkcs7:$K/rsa.crt" -q ||
    fail "copy --encryption-key pkcs7:"
rm -rf "$WORK/dec"
"${SKOPEO[@]}" copy -q --decryption-key "$K/rsa.pem" --decryption-key "$K/rsa.crt" \
    "oci:$WORK/p7-copy:v1" "oci:$WORK/dec:v1" || fail "skopeo could not decrypt ckimg copy's PKCS7 image"
diff "$WORK/plain-podman.layers" <(layers "$WORK/dec" v1) || fail "copy pkcs7: differs from the plain image"
run_fails 1 "not RSA" "$CKIMG" build "$WORK/ck.tar" -o "oci:$WORK/x:v1" --encryption-key "pkcs7:$K/ec.crt"
run_fails 1 "not an X.509 certificate" "$CKIMG" build "$WORK/ck.tar" -o "oci:$WORK/x:v1" \
    --encryption-key "pkcs7:$K/rsa.pub.pem"
assert_file_absent "$WORK/x"

step "refusals: one line naming the layer, nothing written"
run_fails 1 "layer 1" "$CKIMG" export "oci:$WORK/sk-rsa:v1" "$WORK/x.tar" --decryption-key "$K/other.pem"
grep -q "none of the decryption keys" "$WORK/err" || fail "wrong key: $(cat "$WORK/err")"
assert_file_absent "$WORK/x.tar"
run_fails 1 "--decryption-key" "$CKIMG" export "oci:$WORK/sk-rsa:v1" "$WORK/x.tar"
assert_file_absent "$WORK/x.tar"
run_fails 1 "give its passphrase" "$CKIMG" export "oci:$WORK/sk-ec:v1" "$WORK/x.tar" --decryption-key "$K/ec.enc.pem"
run_fails 2 "not accepted on the command line" "$CKIMG" export "oci:$WORK/sk-ec:v1" "$WORK/x.tar" \
    --decryption-key "$K/ec.enc.pem:correct horse"
grep -q "correct horse" "$WORK/err" && fail "the passphrase was echoed"
run_fails 1 "none of the decryption keys" "$CKIMG" pull "oci:$WORK/sk-ec:v1" -o "oci:$WORK/x:v1" --decryption-key "$K/rsa.pem"
assert_file_absent "$WORK/x"
cp -r "$WORK/sk-rsa" "$WORK/tampered"
blob=$(layers "$WORK/tampered" v1 | awk '/encrypted/ {print $2}' | head -1)
chmod -R u+w "$WORK/tampered"
printf 'X' | dd of="$WORK/tampered/blobs/sha256/${blob#sha256:}" bs=1 seek=1000 conv=notrunc status=none
# The decompressor may notice first (gzip check) or the digest at the end: either way exit 1.
run_fails 1 "ckimg:" "$CKIMG" export "oci:$WORK/tampered:v1" "$WORK/x.tar" --decryption-key "$K/rsa.pem"
assert_file_absent "$WORK/x.tar"
chmod 644 "$K/rsa.pem"
"$CKIMG" export "oci:$WORK/sk-rsa:v1" "$WORK/x.tar" --decryption-key "$K/rsa.pem" -q 2>"$WORK/warn.err" ||
    fail "export with a world-readable key"
assert_contains "$(cat "$WORK/warn.err")" "readable by other users" "warning for a world-readable key"
run_fails 2 "jwe:" "$CKIMG" build "$WORK/ck.tar" -o "oci:$WORK/x:v1" --encryption-key "pgp:$K/rsa.pub.pem"
assert_file_absent "$WORK/x"
echo "PASS"
