# shellcheck shell=bash disable=SC2034 # the KUBELET_* variables are for the tests that source this
# The kubelet TEST DOUBLE (lib/kubelet_double.py: no real kubelet can run here) on a free
# loopback port, with its PKI and tokens. Source after common.sh (and registry.sh if used):
#
#   start_kubelet_double --pod default/counters/counter --archive FILE   # or --checkpoint-command
#   "$CKIMG" checkpoint default/counters/counter --kubelet "$KUBELET_URL" "${KUBELET_ADMIN[@]}" ...
#
# Sets: KUBELET_URL, KUBELET_CA (signed the double's serving certificate), KUBELET_DIR (its
# checkpoints directory), KUBELET_LOG (one JSON line per request), KUBELET_SCENARIO (write a
# scenario name into it: see kubelet_double.py), KUBELET_SECRET (a file hostile answers point
# at: a valid checkpoint archive of container "secret", so that a broken check would build it).
# Credential arrays for ckimg checkpoint, each with --ca-file:
#   KUBELET_ADMIN     client certificate CN=kubelet-admin (allowed nodes/checkpoint)
#   KUBELET_NOBODY    client certificate CN=nobody (authenticated, not allowed: 403)
#   KUBELET_STRANGER  client certificate from a CA the kubelet does not trust (401)
#   KUBELET_SA        token of system:serviceaccount:ckimg:ckimg (allowed)
#   KUBELET_DENIED    token of system:serviceaccount:default:default (403)
#   KUBELET_BADTOKEN  a token the kubelet does not know (401)
#   KUBELET_ANON      no credentials (401: anonymous authentication off)
# KUBELET_SECRETS: the token and key texts, for assert_no_kubelet_secret FILE...
# kubelet_posts: the number of POSTs the double got so far.

KUBELET_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_kubelet_pki() {
    local d=$WORK/kubelet-pki ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    KUBELET_PKI=$d
    mkdir -p "$d"
    _kubelet_ca() { # NAME CN
        openssl req -x509 "${ec[@]}" -keyout "$d/$1.key" -out "$d/$1.crt" -days 3 -subj "/CN=$2" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    }
    _kubelet_leaf() { # NAME CN CA USAGE [SAN]
        openssl req -new "${ec[@]}" -keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$2"
        printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=$4" ${5:+"subjectAltName=$5"} >"$d/$1.ext"
        openssl x509 -req -in "$d/$1.csr" -CA "$d/$3.crt" -CAkey "$d/$3.key" -CAcreateserial \
            -days 3 -extfile "$d/$1.ext" -out "$d/$1.crt"
    }
    {
        _kubelet_ca serving-ca "kubelet e2e serving CA"
        _kubelet_ca client-ca "kubelet e2e client CA"
        _kubelet_ca stranger-ca "kubelet e2e unrelated CA"
        _kubelet_leaf server 127.0.0.1 serving-ca serverAuth "IP:127.0.0.1,DNS:localhost"
        _kubelet_leaf admin kubelet-admin client-ca clientAuth
        _kubelet_leaf nobody nobody client-ca clientAuth
        _kubelet_leaf stranger kubelet-admin stranger-ca clientAuth
    } >"$d/openssl.log" 2>&1 || fail "making the kubelet certificates failed: $(tail -3 "$d/openssl.log")"
    chmod 600 "$d"/*.key
    local sa denied bad
    sa=sa-$(openssl rand -hex 20)
    denied=denied-$(openssl rand -hex 20)
    bad=bad-$(openssl rand -hex 20)
    printf '%s system:serviceaccount:ckimg:ckimg\n%s system:serviceaccount:default:default\n' \
        "$sa" "$denied" >"$d/tokens"
    printf '%s\n' "$sa" >"$d/sa.token"
    printf '%s\n' "$denied" >"$d/denied.token"
    printf '%s\n' "$bad" >"$d/bad.token"
    KUBELET_CA=$d/serving-ca.crt
    local ca=(--ca-file "$KUBELET_CA")
    KUBELET_ADMIN=("${ca[@]}" --cert "$d/admin.crt" --key "$d/admin.key")
    KUBELET_NOBODY=("${ca[@]}" --cert "$d/nobody.crt" --key "$d/nobody.key")
    KUBELET_STRANGER=("${ca[@]}" --cert "$d/stranger.crt" --key "$d/stranger.key")
    KUBELET_SA=("${ca[@]}" --token-file "$d/sa.token")
    KUBELET_DENIED=("${ca[@]}" --token-file "$d/denied.token")
    KUBELET_BADTOKEN=("${ca[@]}" --token-file "$d/bad.token")
    KUBELET_ANON=("${ca[@]}")
    KUBELET_SECRETS=("$sa" "$denied" "$bad")
    local key line
    for key in "$d"/admin.key "$d"/nobody.key "$d"/stranger.key; do
        line=$(sed -n 2p "$key") # a line of the key's base64
        KUBELET_SECRETS+=("$line")
    done
}

start_kubelet_double() { # [kubelet_double.py args: --pod NS/POD/C, --archive F | --checkpoint-command C]
    _kubelet_pki
    KUBELET_DIR=${KUBELET_DIR:-$WORK/kubelet/checkpoints}
    KUBELET_LOG=$WORK/kubelet/requests.log
    KUBELET_SCENARIO=$WORK/kubelet/scenario
    KUBELET_SECRET=$WORK/kubelet-secret/secret.tar
    mkdir -p "$KUBELET_DIR" "$WORK/kubelet-secret"
    : >"$KUBELET_LOG"
    echo ok >"$KUBELET_SCENARIO"
    [[ -f $KUBELET_SECRET ]] ||
        "$CKIMG_GEN" --engine crio --container secret -o "$KUBELET_SECRET" --pages-size 64K ||
        fail "ckimg-gen failed to write $KUBELET_SECRET"
    local port_file=$WORK/kubelet/port
    rm -f "$port_file"
    "${REG_PYTHON:-python3}" "$KUBELET_LIB_DIR/kubelet_double.py" --port-file "$port_file" \
        --cert "$KUBELET_PKI/server.crt" --key "$KUBELET_PKI/server.key" \
        --client-ca "$KUBELET_PKI/client-ca.crt" --untrusted-ca "$KUBELET_PKI/stranger-ca.crt" \
        --tokens "$KUBELET_PKI/tokens" --allow kubelet-admin \
        --allow system:serviceaccount:ckimg:ckimg --checkpoints-dir "$KUBELET_DIR" \
        --scenario-file "$KUBELET_SCENARIO" --secret-file "$KUBELET_SECRET" --log "$KUBELET_LOG" \
        "$@" >"$WORK/kubelet/double.out" 2>&1 &
    KUBELET_PID=$!
    on_exit 'kill "$KUBELET_PID" 2>/dev/null; wait "$KUBELET_PID" 2>/dev/null'
    local i
    for i in $(seq 100); do
        [[ -f $port_file ]] && break
        kill -0 "$KUBELET_PID" 2>/dev/null || fail "the kubelet double exited: $(cat "$WORK/kubelet/double.out")"
        sleep 0.1
    done
    [[ -f $port_file ]] || fail "the kubelet double did not start"
    KUBELET_URL=https://127.0.0.1:$(cat "$port_file")
    step "kubelet test double on $KUBELET_URL"
}

kubelet_scenario() { echo "$1" >"$KUBELET_SCENARIO"; }
kubelet_posts() { grep -c '"method": "POST"' "$KUBELET_LOG" || true; }

assert_no_kubelet_secret() { # FILE...
    local f s
    for f in "$@"; do
        [[ -f $f ]] || continue
        for s in "${KUBELET_SECRETS[@]}"; do
            ! grep -qF -- "$s" "$f" || fail "$f contains a kubelet credential"
        done
    done
}
