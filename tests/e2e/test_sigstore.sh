#!/usr/bin/env bash
# Sigstore signatures against a real registry (Debian's docker-registry, plain HTTP on loopback):
# generate-sigstore-key, push --sign-by-sigstore-private-key and build --push with it (the
# sha256-<hex>.sig tag, signatures kept when signed twice), ckimg verify accepting them, and
# refusing another key, a changed signature payload, and an unsigned image.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"

start_registry plain
F=("${REG_PUSH_FLAGS[@]}") # --insecure

step "generate-sigstore-key: PREFIX.private 0600 (cosign's encrypted PEM), PREFIX.pub"
printf 'correct horse\n' >"$WORK/pass"
"$CKIMG" generate-sigstore-key --output-prefix "$WORK/signer" --passphrase-file "$WORK/pass" ||
    fail "generate-sigstore-key failed"
assert_eq 600 "$(stat -c %a "$WORK/signer.private")" "mode of the private key"
grep -q '^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----$' "$WORK/signer.private" ||
    fail "private key is not an encrypted sigstore key"
grep -q '^-----BEGIN PUBLIC KEY-----$' "$WORK/signer.pub" || fail "public key is not PEM"
"$CKIMG" generate-sigstore-key --output-prefix "$WORK/other" --passphrase-file "$WORK/pass" ||
    fail "second generate-sigstore-key failed"
run_fails 2 "exists" "$CKIMG" generate-sigstore-key --output-prefix "$WORK/signer" --passphrase-file "$WORK/pass"

build_image app 4M

step "signed push; verify accepts it"
ck_push push1 "oci:$WORK/app:latest" "$REG_HOST/e2e/signed:v1" "${F[@]}" \
    --sign-by-sigstore-private-key "$WORK/signer.private" --sign-passphrase-file "$WORK/pass"
DIGEST=$(push_field digest)
SIGTAG="sha256-${DIGEST#sha256:}.sig"
MANIFEST=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG_HOST/v2/e2e/signed/manifests/$SIGTAG") || fail "no $SIGTAG tag"
echo "$MANIFEST" >"$WORK/sig.json"
assert_eq "application/vnd.oci.image.manifest.v1+json" "$(json_get "$WORK/sig.json" 'd["mediaType"]')" "signature manifest type"
assert_eq "application/vnd.oci.image.config.v1+json" "$(json_get "$WORK/sig.json" 'd["config"]["mediaType"]')" "config type"
assert_eq "application/vnd.dev.cosign.simplesigning.v1+json" "$(json_get "$WORK/sig.json" 'd["layers"][0]["mediaType"]')" "layer type"
LAYER=$(json_get "$WORK/sig.json" 'd["layers"][0]["digest"]')
curl -sf "http://$REG_HOST/v2/e2e/signed/blobs/$LAYER" >"$WORK/payload" || fail "no payload blob"
assert_eq "$DIGEST" "$(json_get "$WORK/payload" 'd["critical"]["image"]["docker-manifest-digest"]')" "payload digest"
assert_eq "$REG_HOST/e2e/signed:v1" "$(json_get "$WORK/payload" 'd["critical"]["identity"]["docker-reference"]')" "payload reference"
"$CKIMG" verify "$REG_HOST/e2e/signed:v1" --key "$WORK/signer.pub" --insecure 2>"$WORK/verify.err" ||
    fail "verify of a signed image failed: $(cat "$WORK/verify.err")"

step "verify with another key fails with one line"
run_fails 1 "no valid sigstore signature" "$CKIMG" verify "$REG_HOST/e2e/signed:v1" --key "$WORK/other.pub" --insecure

step "a second signature (build --push, other key) keeps the first"
"$CKIMG" build "$WORK/app.tar" --push "$REG_HOST/e2e/signed:v1" --insecure -q \
    --sign-by-sigstore-private-key "$WORK/other.private" --sign-passphrase-file "$WORK/pass" ||
    fail "build --push with signing failed"
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG_HOST/v2/e2e/signed/manifests/$SIGTAG" >"$WORK/sig2.json" || fail "no $SIGTAG tag"
assert_eq 2 "$(json_get "$WORK/sig2.json" 'len(d["layers"])')" "signature layers after two signings"
"$CKIMG" verify "$REG_HOST/e2e/signed:v1" --key "$WORK/signer.pub" --insecure -q || fail "first key no longer verifies"
"$CKIMG" verify "$REG_HOST/e2e/signed:v1" --key "$WORK/other.pub" --insecure -q || fail "second key does not verify"

step "a changed signature payload is refused"
# The first layer's payload names another repository; its signature stays as it was.
"$REG_PYTHON" - "$REG_HOST" "$SIGTAG" "$WORK/sig.json" "$WORK/payload" <<'PY' || fail "could not tamper"
import hashlib, json, sys, urllib.error, urllib.request
host, tag, manifest_file, payload_file = sys.argv[1:]
manifest = json.load(open(manifest_file))
payload = open(payload_file, "rb").read().replace(b"e2e/signed:v1", b"e2e/signed:v2")
digest = "sha256:" + hashlib.sha256(payload).hexdigest()
req = urllib.request.Request(f"http://{host}/v2/e2e/signed/blobs/uploads/", method="POST")
loc = urllib.request.urlopen(req).headers["Location"]
if loc.startswith("/"): loc = f"http://{host}{loc}"
sep = "&" if "?" in loc else "?"
try:
    urllib.request.urlopen(urllib.request.Request(loc + sep + "digest=" + digest, data=payload,
        method="PUT", headers={"Content-Type": "application/octet-stream"}))
except urllib.error.HTTPError as e:
    sys.exit(f"PUT blob: {e.code} {e.read()[:300]}")
manifest["layers"][0]["digest"] = digest
manifest["layers"][0]["size"] = len(payload)
body = json.dumps(manifest).encode()
try:
    urllib.request.urlopen(urllib.request.Request(f"http://{host}/v2/e2e/signed/manifests/{tag}",
        data=body, method="PUT", headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
except urllib.error.HTTPError as e:
    sys.exit(f"PUT manifest: {e.code} {e.read()[:300]}")
PY
run_fails 1 "no valid sigstore signature" "$CKIMG" verify "$REG_HOST/e2e/signed:v1" --key "$WORK/signer.pub" --insecure

step "an unsigned image is refused"
ck_push push2 "oci:$WORK/app:latest" "$REG_HOST/e2e/unsigned:v1" "${F[@]}"
run_fails 1 "no sigstore signatures" "$CKIMG" verify "$REG_HOST/e2e/unsigned:v1" --key "$WORK/signer.pub" --insecure

step "wrong passphrase: push refused"
printf 'wrong\n' >"$WORK/badpass"
"$CKIMG" push "oci:$WORK/app:latest" "$REG_HOST/e2e/other:v1" --insecure -q \
    --sign-by-sigstore-private-key "$WORK/signer.private" --sign-passphrase-file "$WORK/badpass" 2>"$WORK/err" &&
    fail "push signed with a wrong passphrase succeeded"
grep -q "wrong passphrase" "$WORK/err" || fail "wrong passphrase not said: $(cat "$WORK/err")"
step "an index's manifest is signed too (containers/image checks the instance it copies)"
ck_push push3 "oci:$WORK/app:latest" "$REG_HOST/e2e/pullme:v1" "${F[@]}" \
    --sign-by-sigstore-private-key "$WORK/signer.private" --sign-passphrase-file "$WORK/pass"
ROOT=$(push_field digest)
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$REG_HOST/v2/e2e/pullme/manifests/$ROOT" >"$WORK/index.json" || fail "GET the pushed index"
CHILD=$(json_get "$WORK/index.json" 'd["manifests"][0]["digest"]')
"$CKIMG" verify "$REG_HOST/e2e/pullme@$CHILD" --key "$WORK/signer.pub" --insecure -q ||
    fail "the index's manifest $CHILD has no valid signature"

step "pull and export --verify-key: signed passes; unsigned is refused with nothing written"
"$CKIMG" pull "$REG_HOST/e2e/pullme:v1" -o "oci:$WORK/pulled" --insecure -q --verify-key "$WORK/signer.pub" ||
    fail "pull --verify-key of a signed image"
[[ -f $WORK/pulled/index.json ]] || fail "the signed pull wrote no layout"
"$CKIMG" export "$REG_HOST/e2e/pullme:v1" "$WORK/good.tar" --insecure -q --verify-key "$WORK/signer.pub" ||
    fail "export --verify-key of a signed image"
grep -qx 'config.dump' <<<"$(tar -tf "$WORK/good.tar")" || fail "export --verify-key wrote no checkpoint archive"
run_fails 1 "no valid sigstore signature" "$CKIMG" pull "$REG_HOST/e2e/pullme:v1" -o "oci:$WORK/p-other" \
    --insecure --verify-key "$WORK/other.pub"
assert_file_absent "$WORK/p-other"
run_fails 1 "no sigstore signatures" "$CKIMG" pull "$REG_HOST/e2e/unsigned:v1" -o "oci:$WORK/p-unsigned" \
    --insecure --verify-key "$WORK/signer.pub"
assert_file_absent "$WORK/p-unsigned"
run_fails 1 "no sigstore signatures" "$CKIMG" export "$REG_HOST/e2e/unsigned:v1" "$WORK/bad.tar" \
    --insecure --verify-key "$WORK/signer.pub"
[[ -z $(find "$WORK" -maxdepth 1 -name 'bad.tar*') ]] || fail "a refused export left a file"
run_fails 2 "not a registry image" "$CKIMG" pull "oci:$WORK/app:latest" -o "oci:$WORK/x" --verify-key "$WORK/signer.pub"
echo "PASS"
