#!/usr/bin/env bash
# Self-test of the real-registry harness (registry.sh, token_server.py, fault_proxy.py), run by
# hand; it needs no ckimg:
#
#   bash tests/e2e/lib/selftest_registry.sh [MODE...]      # default: plain tls-basic token token-tls
#
# For each mode it starts the registry, pushes a small hand-made OCI image (index -> manifest ->
# config + layer, with the checkpoint annotations) with skopeo, reads it back with skopeo inspect
# and skopeo copy, checks the auth failures, then drives the fault proxy with curl: 429 with
# Retry-After and 503 answered by the proxy, stalls, dropped connections, Location rewriting, a
# chunked upload cut halfway and resumed (a cut the registry never sees, and one it does), a
# registry restart in the middle of an upload, and a skopeo push and pull through the proxy.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CKIMG=${CKIMG:-/bin/false} CKIMG_GEN=${CKIMG_GEN:-/bin/false}
export CKIMG_SOURCE_DIR=${CKIMG_SOURCE_DIR:-$(cd "$HERE/../../.." && pwd)}
# shellcheck source-path=SCRIPTDIR
source "$HERE/common.sh"
source "$HERE/registry.sh"
need skopeo

MODES=("$@")
((${#MODES[@]})) || MODES=(plain tls-basic token token-tls)
FIGURES=()
CKPT_KEY=io.kubernetes.cri-o.annotations.checkpoint.name

# make_layout DIR TAG LAYER_BYTES: an OCI layout holding index -> manifest -> config + one
# layer (a tar of LAYER_BYTES random bytes in one file, uncompressed so sizes are exact).
make_layout() {
    "$REG_PYTHON" - "$@" <<'EOF'
import hashlib, io, json, os, sys, tarfile
root, tag, nbytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    payload = os.urandom(nbytes)
    info = tarfile.TarInfo("checkpoint/pages-1.img"); info.size = len(payload); info.mtime = 0
    t.addfile(info, io.BytesIO(payload))
    spec = json.dumps({"annotations": {"io.kubernetes.container.name": "counter"}}).encode()
    info = tarfile.TarInfo("spec.dump"); info.size = len(spec); info.mtime = 0
    t.addfile(info, io.BytesIO(spec))
layer_bytes = buf.getvalue()
layer = put(layer_bytes)
layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
config = put(json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]},
                         "history": [{"created_by": "selftest"}]}, sort_keys=True).encode())
config["mediaType"] = "application/vnd.oci.image.config.v1+json"
ann = {"io.kubernetes.cri-o.annotations.checkpoint.name": "counter",
       "org.criu.checkpoint.container.name": "counter"}
manifest = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config, "layers": [layer], "annotations": ann}).encode())
manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
manifest["platform"] = {"architecture": "amd64", "os": "linux"}
index = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [manifest], "annotations": ann}).encode())
index["mediaType"] = "application/vnd.oci.image.index.v1+json"
index["annotations"] = {"org.opencontainers.image.ref.name": tag}
with open(os.path.join(root, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [index]}, f)
with open(os.path.join(root, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF
}

# json_of_blob DIR DIGEST EXPR
blob_json() { reg_json "$1/blobs/${2/://}" "$3"; }

# --- a chunked upload driven by curl, to see what the registry and the proxy do ---------------

# st_post REPO -> UPLOAD_LOC (absolute, through REG_VIA when set)
st_post() {
    reg_curl POST "/v2/$1/blobs/uploads/" -o /dev/null -D "$WORK/h" -w '%{http_code}' >"$WORK/code"
    assert_eq 202 "$(cat "$WORK/code")" "POST upload"
    UPLOAD_LOC=$(reg_header "$WORK/h" location)
    [[ $UPLOAD_LOC == http* ]] || UPLOAD_LOC=${REG_VIA:-$REG_URL}$UPLOAD_LOC
}

# st_patch FILE OFFSET LEN -> ST_CODE (000: no answer); UPLOAD_LOC follows the newest Location.
st_patch() {
    local file=$1 off=$2 len=$3 code
    code=$(tail -c +$((off + 1)) "$file" | head -c "$len" |
        reg_curl PATCH "$UPLOAD_LOC" -H 'Content-Type: application/octet-stream' \
            -H "Content-Range: $off-$((off + len - 1))" -H "Content-Length: $len" --data-binary @- \
            -o /dev/null -D "$WORK/h" -w '%{http_code}' 2>/dev/null) || true
    if [[ $code == 202 ]]; then
        UPLOAD_LOC=$(reg_header "$WORK/h" location)
        [[ $UPLOAD_LOC == http* ]] || UPLOAD_LOC=${REG_VIA:-$REG_URL}$UPLOAD_LOC
    fi
    ST_CODE=$code
}

# st_status -> prints "STATUS RANGE"
st_status() {
    local code
    code=$(reg_curl GET "$UPLOAD_LOC" -o "$WORK/body" -D "$WORK/h" -w '%{http_code}')
    echo "$code $(reg_header "$WORK/h" range)"
}

st_put() { # DIGEST -> status
    reg_curl PUT "$UPLOAD_LOC&digest=$1" -H 'Content-Type: application/octet-stream' \
        -H 'Content-Length: 0' -o /dev/null -w '%{http_code}'
}

# --- the checks ------------------------------------------------------------------------------

check_mode() {
    local mode=$1 repo=selftest/app
    start_registry "$mode"
    local t_start=$REG_STARTUP_MS

    step "$mode: skopeo push of a hand-made image"
    local src=$WORK/src-$mode
    make_layout "$src" v1 $((256 * 1024))
    local want
    want=$(layout_digest "$src" v1)
    local t0 t1
    t0=$(_reg_now_ms)
    reg_skopeo_push "$src:v1" "$repo:v1"
    t1=$(_reg_now_ms)

    step "$mode: skopeo inspect --raw / copy read it back"
    reg_skopeo_inspect_raw "$repo:v1" >"$WORK/raw.json"
    assert_eq "$want" "sha256:$(sha256sum <"$WORK/raw.json" | cut -d' ' -f1)" "index digest via skopeo inspect"
    assert_eq counter "$(reg_json "$WORK/raw.json" "d['annotations']['$CKPT_KEY']")" "index annotation"
    assert_eq "$want" "$(reg_manifest_digest "$repo" v1)" "Docker-Content-Digest"
    assert_eq complete "$(reg_image_state "$repo" v1)" "image state"
    assert_eq absent "$(reg_image_state "$repo" nope)" "state of a missing tag"
    rm -rf "$WORK/pulled"
    reg_skopeo_pull "$repo:v1" "$WORK/pulled:v1"
    assert_eq "$(layout_blobs "$src" v1)" "$(layout_blobs "$WORK/pulled" v1)" "blobs pulled back"
    assert_eq "$want" "$(layout_digest "$WORK/pulled" v1)" "digest pulled back"
    local mdigest
    mdigest=$(blob_json "$WORK/pulled" "$want" "d['manifests'][0]['digest']")
    assert_eq counter "$(blob_json "$WORK/pulled" "$mdigest" "d['annotations']['$CKPT_KEY']")" \
        "manifest annotation pulled back"
    local layer
    layer=$(blob_json "$src" "$mdigest" "d['layers'][0]['digest']")
    reg_blob_present "$repo" "$layer" || fail "layer not in the registry"
    ! reg_blob_present other/repo "$layer" || fail "layer visible in another repository"
    (($(reg_access_count PUT "^/v2/$repo/manifests/" 201) >= 1)) || fail "access log lacks the manifest PUT"

    step "$mode: cross-repository mount"
    local code
    code=$(reg_curl POST "/v2/selftest/other/blobs/uploads/?mount=$layer&from=$repo" -o /dev/null -w '%{http_code}')
    assert_eq 201 "$code" "mount status"
    reg_blob_present selftest/other "$layer" || fail "mounted blob missing"

    if [[ $mode != plain ]]; then
        step "$mode: auth failures"
        local tlsopt=(--tls-verify=false)
        [[ $REG_SCHEME == https ]] && tlsopt=(--cert-dir "$REG_CERT_DIR")
        if skopeo inspect --raw "${tlsopt[@]}" --creds "$REG_USER:wrong" "docker://$REG_HOST/$repo:v1" \
            >/dev/null 2>"$WORK/err"; then fail "wrong password accepted"; fi
        if skopeo inspect --raw "${tlsopt[@]}" --no-creds "docker://$REG_HOST/$repo:v1" \
            >/dev/null 2>"$WORK/err"; then fail "anonymous access accepted"; fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$REG_CA" \
            "$REG_URL/v2/$repo/manifests/v1" 2>/dev/null || true)
        assert_eq 401 "$code" "anonymous GET"
    fi
    if [[ $REG_SCHEME == https ]]; then
        if curl -s -o /dev/null "$REG_URL/v2/" 2>/dev/null; then fail "TLS without the CA accepted"; fi
        if curl -s -o /dev/null --cacert "$REG_WRONG_CA" "$REG_URL/v2/" 2>/dev/null; then
            fail "TLS with the wrong CA accepted"
        fi
    fi
    if [[ $mode == token* ]]; then
        check_token_server "$repo"
    fi

    check_proxy "$mode"
    assert_no_secret "$REG_LOG" "$PROXY_LOG" ${TOKEN_LOG:+"$TOKEN_LOG"}
    FIGURES+=("$mode: registry up in ${t_start} ms, skopeo push of a 256 KiB image $((t1 - t0)) ms")
    stop_registry
}

check_token_server() {
    local repo=$1 ca=() code
    [[ $TOKEN_URL == https://* ]] && ca=(--cacert "$REG_CA")
    step "$REG_MODE: token server"
    grep -q "\"user\": \"$REG_USER\"" "$TOKEN_LOG" || fail "skopeo did not use the token server"
    code=$(curl -s -o /dev/null -w '%{http_code}' "${ca[@]}" -u "$REG_USER:wrong" \
        "$TOKEN_URL?service=$TOKEN_SERVICE&scope=repository:$repo:pull")
    assert_eq 401 "$code" "token with a wrong password"
    curl -sSf "${ca[@]}" "$TOKEN_URL?service=$TOKEN_SERVICE&scope=repository:$repo:pull,push" >"$WORK/anon.json"
    local anon
    anon=$(reg_json "$WORK/anon.json" 'd["token"]')
    "$REG_PYTHON" - "$anon" <<'EOF'
import base64, json, sys
def part(i):
    s = sys.argv[1].split(".")[i]
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
assert part(1)["access"] == [], "anonymous token grants something"
h = part(0)
assert h["alg"] == "RS256" and "x5c" in h and "kid" in h, h
EOF
    code=$(curl -s -o /dev/null -w '%{http_code}' "${ca[@]}" -H "Authorization: Bearer $anon" \
        "$REG_URL/v2/$repo/manifests/v1")
    assert_eq 401 "$code" "registry with an anonymous token"
    # The registry accepts a token that names its key by x5c only, and by kid only (the
    # libtrust key ID of the key in rootcertbundle): run token servers in each mode.
    local kmode port pid tok
    for kmode in x5c kid; do
        port=$(_reg_free_port)
        "$REG_PYTHON" "$REG_LIB_DIR/token_server.py" --port "$port" --key "$REG_PKI/token.key" \
            --cert "$REG_PKI/token.crt" --issuer "$TOKEN_ISSUER" --service "$TOKEN_SERVICE" \
            --users "$REG_DIR/token-users" --log "$WORK/token-$kmode.log" --key-id-mode "$kmode" \
            >"$WORK/token-$kmode.out" 2>&1 &
        pid=$!
        _reg_wait_http "http://127.0.0.1:$port/healthz" "$pid" "$WORK/token-$kmode.out" "token server ($kmode)" ||
            fail "token server ($kmode) exited: $(cat "$WORK/token-$kmode.out")"
        tok=$(curl -sSf -u "$REG_USER:$REG_PASS" \
            "http://127.0.0.1:$port/token?service=$TOKEN_SERVICE&scope=repository:$repo:pull" | reg_json - 'd["token"]')
        _reg_kill "$pid"
        code=$(curl -s -o /dev/null -w '%{http_code}' "${ca[@]}" -H "Authorization: Bearer $tok" \
            -H "Accept: application/vnd.oci.image.index.v1+json" "$REG_URL/v2/$repo/manifests/v1")
        assert_eq 200 "$code" "registry with a $kmode-only token"
    done
}

check_proxy() {
    local mode=$1 code t0 t1
    start_fault_proxy '[]'
    export REG_VIA=$PROXY_URL

    step "$mode proxy: 429 with Retry-After twice, then through"
    set_proxy_rules '[{"method": "GET", "path": "^/v2/$", "action": "status", "status": 429, "retry_after": 1, "times": 2}]'
    code=$(curl -s -D "$WORK/h" -o /dev/null -w '%{http_code}' --cacert "$REG_CA" "$PROXY_URL/v2/")
    assert_eq 429 "$code" "first /v2/"
    assert_eq 1 "$(reg_header "$WORK/h" retry-after)" "Retry-After"
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$REG_CA" "$PROXY_URL/v2/")
    assert_eq 429 "$code" "second /v2/"
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$REG_CA" "$PROXY_URL/v2/")
    [[ $code == 200 || $code == 401 ]] || fail "third /v2/ answered $code"
    assert_eq 2 "$(proxy_faults status)" "faults fired"

    step "$mode proxy: 503 on a blob HEAD, a stall, a dropped connection"
    local layer
    layer=$(blob_json "$WORK/pulled" "$(blob_json "$WORK/pulled" "$(layout_digest "$WORK/pulled" v1)" "d['manifests'][0]['digest']")" "d['layers'][0]['digest']")
    set_proxy_rules '[{"method": "HEAD", "path": "/blobs/sha256:", "action": "status", "status": 503},
                      {"method": "GET", "path": "^/v2/$", "action": "stall", "seconds": 1},
                      {"method": "GET", "path": "^/v2/_catalog", "action": "drop"}]'
    code=$(reg_curl HEAD "/v2/selftest/app/blobs/$layer" -o /dev/null -w '%{http_code}')
    assert_eq 503 "$code" "injected 503"
    code=$(reg_curl HEAD "/v2/selftest/app/blobs/$layer" -o /dev/null -w '%{http_code}')
    assert_eq 200 "$code" "HEAD after the 503"
    t0=$(_reg_now_ms)
    curl -s -o /dev/null --cacert "$REG_CA" "$PROXY_URL/v2/"
    t1=$(_reg_now_ms)
    (((t1 - t0) >= 950)) || fail "stall lasted $((t1 - t0)) ms"
    code=0
    curl -s -o /dev/null --cacert "$REG_CA" "$PROXY_URL/v2/_catalog" || code=$?
    assert_eq 52 "$code" "curl exit status on a dropped connection (empty reply)"

    step "$mode proxy: Location points at the proxy"
    set_proxy_rules '[]'
    st_post selftest/chunked
    [[ $UPLOAD_LOC == "$PROXY_URL"/* ]] || fail "upload Location $UPLOAD_LOC does not name the proxy"

    # A 3.5 MiB blob in 1 MiB chunks; the second PATCH is cut after 0.5 MiB.
    local blob=$WORK/blob.bin size=$((3 * 1048576 + 524288)) chunk=1048576 digest st
    head -c "$size" /dev/urandom >"$blob"
    digest=sha256:$(sha256sum "$blob" | cut -d' ' -f1)

    step "$mode proxy: chunked upload cut halfway before the registry saw the chunk (resumes)"
    set_proxy_rules '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "cut", "after_total": "1536K", "forward_partial": false}]'
    st_patch "$blob" 0 $chunk; assert_eq 202 "$ST_CODE" "PATCH 1"
    st_patch "$blob" $chunk $chunk
    assert_eq 000 "$ST_CODE" "PATCH 2 is cut"
    st=$(st_status)
    assert_eq "204 0-$((chunk - 1))" "$st" "upload status after the cut"
    st_patch "$blob" $chunk $chunk; assert_eq 202 "$ST_CODE" "PATCH 2 again"
    st_patch "$blob" $((2 * chunk)) $((size - 2 * chunk)); assert_eq 202 "$ST_CODE" "PATCH 3"
    assert_eq 201 "$(st_put "$digest")" "PUT"
    reg_blob_present selftest/chunked "$digest" || fail "resumed blob missing"
    assert_eq "$size" "$(proxy_fwd_bytes PATCH /blobs/uploads/)" "PATCH bytes that reached the registry"
    assert_eq $((size + chunk / 2)) "$(proxy_in_bytes PATCH /blobs/uploads/)" "PATCH bytes the client sent"
    assert_eq 3 "$(reg_access_count PATCH "^/v2/selftest/chunked/blobs/uploads/" 202)" "PATCHes in the access log"

    step "$mode proxy: a cut the registry saw (distribution 2.8 keeps the partial bytes)"
    set_proxy_rules '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "cut", "after_bytes": "512K"}]'
    st_post selftest/chunked2
    st_patch "$blob" 0 $chunk
    assert_eq 000 "$ST_CODE" "PATCH 1 is cut"
    sleep 0.3
    st=$(st_status)
    assert_eq "404 " "$st" "status of an upload whose chunk was cut (session dead on 2.8)"
    grep -q BLOB_UPLOAD_INVALID "$WORK/body" || fail "expected BLOB_UPLOAD_INVALID: $(cat "$WORK/body")"

    step "$mode proxy: drop_response (the registry took the chunk, the client lost the answer)"
    set_proxy_rules '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "drop_response"}]'
    st_post selftest/chunked3
    st_patch "$blob" 0 $chunk; assert_eq 000 "$ST_CODE" "PATCH answer lost"
    st=$(st_status)
    assert_eq "404 " "$st" "status with the pre-PATCH Location after a lost answer (stale _state)"

    step "$mode proxy: registry restart between chunks keeps the upload (fixed http.secret)"
    set_proxy_rules '[]'
    st_post selftest/chunked4
    st_patch "$blob" 0 $chunk; assert_eq 202 "$ST_CODE" "PATCH 1"
    restart_registry
    st=$(st_status)
    assert_eq "204 0-$((chunk - 1))" "$st" "status after the restart"
    st_patch "$blob" $chunk $((size - chunk)); assert_eq 202 "$ST_CODE" "PATCH 2"
    assert_eq 201 "$(st_put "$digest")" "PUT"

    step "$mode proxy: registry killed in the middle of a PATCH (proxy stall + restart)"
    set_proxy_rules '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "stall", "after_bytes": "256K", "seconds": 2}]'
    st_post selftest/chunked5
    local mark
    mark=$(log_mark "$PROXY_LOG")
    (st_patch "$blob" 0 $chunk && echo "$ST_CODE" >"$WORK/patch-code") &
    local bg=$!
    wait_for_log "$PROXY_LOG" '"action": "stall"' 10 "$mark"
    restart_registry KILL
    wait "$bg" || true
    assert_eq 000 "$(cat "$WORK/patch-code")" "PATCH killed with the registry"
    st=$(st_status)
    [[ $st == "204 0-0" || $st == "404 " ]] || fail "status after a kill mid-PATCH: $st"
    FIGURES+=("$mode: upload status after the registry was killed mid-PATCH: $st")

    step "$mode proxy: skopeo push and pull through the proxy (streamed PATCH), 20 MiB layer"
    set_proxy_rules '[]'
    local big=$WORK/big-$mode
    make_layout "$big" v2 $((20 * 1048576))
    t0=$(_reg_now_ms)
    reg_skopeo_push "$big:v2" selftest/big:v2 "$PROXY_HOST"
    t1=$(_reg_now_ms)
    FIGURES+=("$mode: skopeo push of a 20 MiB image through the proxy $((t1 - t0)) ms, PATCH $(proxy_count PATCH /selftest/big/) request(s), te=$("$REG_PYTHON" -c '
import json,sys
print(sorted({json.loads(l).get("te") for l in open(sys.argv[1]) if "\"PATCH\"" in l}, key=str))' "$PROXY_LOG")")
    assert_eq "$(layout_digest "$big" v2)" "$(reg_manifest_digest selftest/big v2)" "big image digest"
    rm -rf "$WORK/pulled-big"
    reg_skopeo_pull selftest/big:v2 "$WORK/pulled-big:v2" "$PROXY_HOST"
    assert_eq "$(layout_blobs "$big" v2)" "$(layout_blobs "$WORK/pulled-big" v2)" "big image pulled back"
    unset REG_VIA
    stop_fault_proxy
}

for mode in "${MODES[@]}"; do
    check_mode "$mode"
done
echo "selftest_registry: all checks passed" >&2
printf '  %s\n' "${FIGURES[@]}" >&2
