# shellcheck shell=bash disable=SC2034 # the REG_* variables are for the tests that source this
# Real registries for the e2e tests: Debian's docker-registry (CNCF distribution 2.8) on free
# loopback ports, a token server, and a fault-injecting proxy. Source it after common.sh:
#
#   source "$CKIMG_SOURCE_DIR/tests/e2e/lib/common.sh"
#   source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"
#   start_registry tls-basic
#   "$CKIMG" push oci:"$WORK/img":latest "$REG_HOST/team/app:v1" "${REG_PUSH_FLAGS[@]}" --json
#
# start_registry MODE        MODE is one of
#     plain       HTTP, anonymous                           (ckimg: --insecure)
#     tls-basic   HTTPS (test CA), htpasswd Basic auth        (ckimg: --ca-file $REG_CA --creds U:P)
#     token       HTTP registry + HTTP token server (JWT)     (ckimg: --insecure --creds U:P)
#     token-tls   HTTPS registry + HTTPS token server        (ckimg: --ca-file $REG_CA --creds U:P)
#   Sets: REG_MODE, REG_HOST (127.0.0.1:PORT), REG_URL (scheme://REG_HOST), REG_SCHEME, REG_DIR,
#   REG_LOG (registry output incl. the access log: one combined-format line per request),
#   REG_STORAGE, REG_CONFIG, REG_USER / REG_PASS (random per run; empty in plain mode),
#   REG_CA / REG_CERT_DIR (the test CA, and a skopeo --cert-dir holding it), REG_WRONG_CA
#   (a CA that did not sign anything here), REG_STARTUP_MS; in token modes also TOKEN_URL
#   (the realm), TOKEN_SERVICE, TOKEN_ISSUER, TOKEN_LOG (one JSON line per token request).
#   Arrays: REG_PUSH_FLAGS (ckimg push/login flags: TLS + creds), REG_TLS_FLAGS (ckimg TLS flags
#   only), REG_SKOPEO_FLAGS (skopeo inspect), REG_SKOPEO_SRC_FLAGS / REG_SKOPEO_DEST_FLAGS
#   (skopeo copy from / to the registry).
#   Knobs read at start: TOKEN_ARGS=(...) extra token_server.py flags (e.g. --deny '^ro/');
#   REG_RELATIVE_URLS=true makes the registry answer relative Location headers;
#   REG_KEEP_LOGS=DIR copies the logs there when the registry stops (for debugging).
# stop_registry                stops proxy, registry and token server (also done on exit).
# restart_registry [SIGNAL]    kills the registry process (TERM by default, KILL for a crash)
#                              and starts it again on the same port, storage and http.secret
#                              (so upload URLs handed out before stay valid).
# start_fault_proxy [RULES]    fault_proxy.py in front of the registry (same scheme, same
#                              certificate); RULES is JSON text or @FILE (see fault_proxy.py).
#                              Sets PROXY_HOST, PROXY_URL, PROXY_LOG (JSON lines), PROXY_RULES.
# set_proxy_rules RULES        replaces the rules (counters restart).
# stop_fault_proxy
#
# Sourcing also isolates credentials: HOME, XDG_RUNTIME_DIR and DOCKER_CONFIG point into $WORK
# and REGISTRY_AUTH_FILE is unset (reg_isolate_auth).
#
# The registry:   reg_curl METHOD PATH|URL [curl args] (mode's TLS + auth; REG_VIA=URL goes
#                 through a proxy), reg_token SCOPE..., reg_header, reg_manifest_digest REPO REF,
#                 reg_blob_present REPO DIGEST, reg_image_state REPO REF (absent | complete |
#                 incomplete: ...), reg_access_count METHOD PATH_RE [STATUS] (access log).
# The proxy log:  proxy_count / proxy_fwd_bytes / proxy_in_bytes [METHOD] [PATH_RE] [STATUS],
#                 proxy_faults [ACTION], upload_bytes REPO [fwd|in], retry_after_honoured,
#                 proxy_peak_rss_kb; logs in general: log_mark FILE, wait_for_log FILE RE [T] [MARK].
# skopeo (peer):  reg_skopeo_inspect_raw REPO:TAG [HOST], reg_skopeo_pull REPO:TAG DIR:TAG [HOST],
#                 reg_skopeo_push DIR:TAG REPO:TAG [HOST] (all manifests, digests preserved).
# Layouts:        layout_digest DIR TAG, layout_blobs / layout_manifests DIR TAG, blob_count.
# ckimg:          make_archive FILE SIZE, build_image NAME SIZE [build args] (BUILD_JSON),
#                 ck_push NAME ARGS (PUSH_JSON), push_field KEY, assert_push_counts P S M,
#                 ck_fails STATUS TEXT NAME ARGS, verify_pushed REPO TAG LAYOUT LTAG [HOST],
#                 push_suite PREFIX [flags], login_suite, assert_no_secret FILE...
# Everything listens on 127.0.0.1 only and is killed on exit. lib/selftest_registry.sh checks
# this harness without ckimg.

REG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

need docker-registry
need openssl
need python3
need curl
# The interpreter itself, not a wrapper (a pyenv shim costs ~0.3 s per start).
REG_PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# _reg_free_port: free_port, with REG_PYTHON.
_reg_free_port() {
    "$REG_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# reg_json FILE|- EXPR: like json_get (EXPR on `d`), with REG_PYTHON.
reg_json() {
    "$REG_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]) if sys.argv[1]!="-" else sys.stdin); print(eval(sys.argv[2]))' "$1" "$2"
}

REG_PID=""
TOKEN_PID=""
PROXY_PID=""
REG_MODE=""
REG_USER=""
REG_PASS=""
_REG_SEQ=0
_REG_HOOKED=""
[[ -v TOKEN_ARGS ]] || TOKEN_ARGS=()

_reg_hook() {
    [[ -n $_REG_HOOKED ]] && return
    _REG_HOOKED=1
    on_exit stop_registry
}

_reg_rand() { openssl rand -hex "${1:-12}"; }

_reg_now_ms() { date +%s%3N; }

# Kill one process we started, politely then firmly, and reap it.
_reg_kill() { # PID [SIGNAL]
    local pid=$1 sig=${2:-TERM} i
    [[ -n $pid ]] || return 0
    kill -"$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true # (disowned processes are reaped by bash all the same)
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
}

# Test PKI, made once per test with the openssl CLI: a CA, a server certificate for 127.0.0.1
# and localhost signed by it, a second unrelated CA, and an RSA key + self-signed certificate
# that signs the registry tokens.
_reg_pki() {
    REG_PKI=$WORK/pki
    REG_CA=$REG_PKI/ca.crt
    REG_CERT_DIR=$REG_PKI/certs.d
    REG_WRONG_CA=$REG_PKI/wrong-ca.crt
    [[ -f $REG_PKI/done ]] && return 0
    mkdir -p "$REG_PKI" "$REG_CERT_DIR"
    local d=$REG_PKI ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    {
        openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$d/ca.crt" -days 3 \
            -subj "/CN=ckimg e2e test CA" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        openssl req -new "${ec[@]}" -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=127.0.0.1"
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
            >"$d/server.ext"
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
            -days 3 -extfile "$d/server.ext" -out "$d/server.crt"
        openssl req -x509 "${ec[@]}" -keyout "$d/wrong-ca.key" -out "$d/wrong-ca.crt" -days 3 \
            -subj "/CN=ckimg e2e unrelated CA" -addext basicConstraints=critical,CA:TRUE
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" -out "$d/token.crt" \
            -days 3 -subj "/CN=ckimg e2e token signer"
    } >"$d/openssl.log" 2>&1 || fail "making the test certificates failed: $(tail -3 "$d/openssl.log")"
    cp "$d/ca.crt" "$REG_CERT_DIR/ca.crt"
    chmod 600 "$d"/*.key
    touch "$d/done"
}

_reg_write_config() {
    local port=$1
    {
        cat <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $REG_STORAGE
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: $REG_SECRET
  relativeurls: ${REG_RELATIVE_URLS:-false}
  headers:
    X-Content-Type-Options: [nosniff]
EOF
        if [[ $REG_SCHEME == https ]]; then
            cat <<EOF
  tls:
    certificate: $REG_PKI/server.crt
    key: $REG_PKI/server.key
EOF
        fi
        case $REG_MODE in
        tls-basic)
            cat <<EOF
auth:
  htpasswd:
    realm: ckimg-e2e
    path: $REG_DIR/htpasswd
EOF
            ;;
        token | token-tls)
            cat <<EOF
auth:
  token:
    realm: $TOKEN_URL
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $REG_PKI/token.crt
EOF
            ;;
        esac
    } >"$REG_CONFIG"
}

# Wait until URL answers HTTP at all (any status, e.g. 200 or 401). Returns 1 when the process
# exits first (e.g. its port was taken between free_port and its bind: the caller tries again).
_reg_wait_http() { # URL PID LOG WHAT
    local url=$1 pid=$2 log=$3 what=$4 code i
    local ca=()
    [[ $url == https://* ]] && ca=(--cacert "$REG_CA")
    for ((i = 0; i < 600; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${ca[@]}" "$url" 2>/dev/null) || true
        [[ $code =~ ^[1-5][0-9][0-9]$ ]] && return 0
        sleep 0.05
    done
    fail "$what did not answer $url within 30 s: $(tail -5 "$log")"
}

_reg_launch() { # status 1 when the registry exited at start
    docker-registry serve "$REG_CONFIG" >>"$REG_LOG" 2>&1 &
    REG_PID=$!
    disown "$REG_PID" # no "Killed" job notices when restart_registry KILL
    _reg_wait_http "$REG_URL/v2/" "$REG_PID" "$REG_LOG" "docker-registry" || {
        REG_PID=""
        return 1
    }
}

_reg_start_token_server() {
    local port attempt
    local scheme=http tls=()
    if [[ $REG_MODE == token-tls ]]; then
        scheme=https
        tls=(--tls-cert "$REG_PKI/server.crt" --tls-key "$REG_PKI/server.key")
    fi
    TOKEN_SERVICE=ckimg-e2e-registry
    TOKEN_ISSUER=ckimg-e2e-token-issuer
    TOKEN_LOG=$REG_DIR/token.log
    : >"$TOKEN_LOG"
    (umask 077 && printf '%s:%s\n' "$REG_USER" "$REG_PASS" >"$REG_DIR/token-users")
    for attempt in 1 2 3; do
        port=$(_reg_free_port)
        TOKEN_URL=$scheme://127.0.0.1:$port/token
        "$REG_PYTHON" "$REG_LIB_DIR/token_server.py" --port "$port" --key "$REG_PKI/token.key" \
            --cert "$REG_PKI/token.crt" --issuer "$TOKEN_ISSUER" --service "$TOKEN_SERVICE" \
            --users "$REG_DIR/token-users" --log "$TOKEN_LOG" "${tls[@]}" "${TOKEN_ARGS[@]}" \
            >>"$REG_DIR/token-server.out" 2>&1 &
        TOKEN_PID=$!
        _reg_wait_http "$scheme://127.0.0.1:$port/healthz" "$TOKEN_PID" "$REG_DIR/token-server.out" \
            "token server" && return 0
        TOKEN_PID=""
    done
    fail "the token server exited at start: $(tail -5 "$REG_DIR/token-server.out")"
}

start_registry() { # MODE
    local mode=${1:?start_registry MODE}
    case $mode in
    plain | tls-basic | token | token-tls) ;;
    *) fail "start_registry: unknown mode $mode" ;;
    esac
    _reg_hook
    stop_registry
    _reg_pki
    local t0
    t0=$(_reg_now_ms)
    _REG_SEQ=$((_REG_SEQ + 1))
    REG_MODE=$mode
    REG_DIR=$WORK/registry-$_REG_SEQ
    REG_STORAGE=$REG_DIR/storage
    REG_CONFIG=$REG_DIR/config.yml
    REG_LOG=$REG_DIR/registry.log
    mkdir -p "$REG_STORAGE"
    : >"$REG_LOG"
    REG_SCHEME=http
    [[ $mode == tls-basic || $mode == token-tls ]] && REG_SCHEME=https
    REG_SECRET=$(_reg_rand 16)
    REG_USER=""
    REG_PASS=""
    TOKEN_URL=""
    TOKEN_LOG=""
    if [[ $mode != plain ]]; then
        REG_USER=e2e-$(_reg_rand 3)
        REG_PASS=pw-$(_reg_rand 16)
    fi
    if [[ $mode == tls-basic ]]; then
        need htpasswd
        (umask 077 && htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$REG_DIR/htpasswd") ||
            fail "htpasswd failed"
    fi
    [[ $mode == token* ]] && _reg_start_token_server
    local port attempt
    for attempt in 1 2 3; do
        port=$(_reg_free_port)
        REG_HOST=127.0.0.1:$port
        REG_URL=$REG_SCHEME://$REG_HOST
        _reg_write_config "$port"
        _reg_launch && break
        ((attempt < 3)) || fail "docker-registry exited at start: $(tail -5 "$REG_LOG")"
    done
    REG_STARTUP_MS=$(($(_reg_now_ms) - t0))

    REG_POLICY=$REG_DIR/policy.json
    echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$REG_POLICY"
    local creds=()
    [[ -n $REG_USER ]] && creds=(--creds "$REG_USER:$REG_PASS")
    if [[ $REG_SCHEME == https ]]; then
        REG_TLS_FLAGS=(--ca-file "$REG_CA")
        REG_SKOPEO_FLAGS=(--cert-dir "$REG_CERT_DIR")
        REG_SKOPEO_SRC_FLAGS=(--src-cert-dir "$REG_CERT_DIR")
        REG_SKOPEO_DEST_FLAGS=(--dest-cert-dir "$REG_CERT_DIR")
    else
        REG_TLS_FLAGS=(--insecure)
        REG_SKOPEO_FLAGS=(--tls-verify=false)
        REG_SKOPEO_SRC_FLAGS=(--src-tls-verify=false)
        REG_SKOPEO_DEST_FLAGS=(--dest-tls-verify=false)
    fi
    REG_PUSH_FLAGS=("${REG_TLS_FLAGS[@]}" "${creds[@]}")
    if [[ -n $REG_USER ]]; then
        REG_SKOPEO_FLAGS+=(--creds "$REG_USER:$REG_PASS")
        REG_SKOPEO_SRC_FLAGS+=(--src-creds "$REG_USER:$REG_PASS")
        REG_SKOPEO_DEST_FLAGS+=(--dest-creds "$REG_USER:$REG_PASS")
    fi
    export REG_MODE REG_HOST REG_URL REG_LOG REG_USER REG_PASS REG_CA REG_CERT_DIR TOKEN_URL TOKEN_LOG
    step "registry ($mode) on $REG_URL, up in ${REG_STARTUP_MS} ms"
}

stop_registry() {
    stop_fault_proxy
    # REG_KEEP_LOGS=DIR keeps each registry's logs (registry, token server, proxy) for debugging.
    if [[ -n ${REG_KEEP_LOGS:-} && -n ${REG_DIR:-} && -d ${REG_DIR:-} ]]; then
        mkdir -p "$REG_KEEP_LOGS/$(basename "$WORK")-$(basename "$REG_DIR")"
        cp "$REG_DIR"/*.log "$REG_DIR"/*.out "$REG_KEEP_LOGS/$(basename "$WORK")-$(basename "$REG_DIR")/" 2>/dev/null || true
    fi
    if [[ -n $REG_PID ]]; then
        _reg_kill "$REG_PID"
        REG_PID=""
    fi
    if [[ -n $TOKEN_PID ]]; then
        _reg_kill "$TOKEN_PID"
        TOKEN_PID=""
    fi
    # A stopped registry is never started again (start_registry makes a new one): free its disk.
    [[ -n ${REG_STORAGE:-} ]] && rm -rf "$REG_STORAGE"
    return 0
}

restart_registry() { # [SIGNAL]
    [[ -n $REG_MODE ]] || fail "restart_registry: no registry was started"
    local t0
    t0=$(_reg_now_ms)
    _reg_kill "$REG_PID" "${1:-TERM}"
    REG_PID=""
    _reg_launch || fail "docker-registry did not come back on $REG_HOST: $(tail -5 "$REG_LOG")"
    step "registry restarted in $(($(_reg_now_ms) - t0)) ms"
}

# --- the fault proxy -------------------------------------------------------------------------

_reg_write_rules() { # RULES (JSON text or @FILE) -> $PROXY_RULES, atomically
    local rules=${1:-[]}
    if [[ $rules == @* ]]; then
        cp "${rules#@}" "$PROXY_RULES.tmp"
    else
        printf '%s\n' "$rules" >"$PROXY_RULES.tmp"
    fi
    "$REG_PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$PROXY_RULES.tmp" ||
        fail "proxy rules are not JSON: $rules"
    mv -f "$PROXY_RULES.tmp" "$PROXY_RULES"
}

start_fault_proxy() { # [RULES]
    [[ -n $REG_PID ]] || fail "start_fault_proxy: start the registry first"
    stop_fault_proxy
    local port i attempt tls=()
    if [[ $REG_SCHEME == https ]]; then
        tls=(--upstream-tls --upstream-ca "$REG_CA" --tls-cert "$REG_PKI/server.crt"
            --tls-key "$REG_PKI/server.key")
    fi
    for attempt in 1 2 3; do
        port=$(_reg_free_port)
        PROXY_HOST=127.0.0.1:$port
        PROXY_URL=$REG_SCHEME://$PROXY_HOST
        PROXY_LOG=$REG_DIR/proxy-$port.log
        PROXY_RULES=$REG_DIR/proxy-$port-rules.json
        : >"$PROXY_LOG"
        _reg_write_rules "${1:-[]}"
        "$REG_PYTHON" "$REG_LIB_DIR/fault_proxy.py" --port "$port" --upstream "$REG_HOST" "${tls[@]}" \
            --rules "$PROXY_RULES" --log "$PROXY_LOG" --spool-dir "$REG_DIR" \
            >>"$REG_DIR/proxy-$port.out" 2>&1 &
        PROXY_PID=$!
        for ((i = 0; i < 600; i++)); do
            kill -0 "$PROXY_PID" 2>/dev/null || break
            grep -q '"event": "listening"' "$PROXY_LOG" && break
            sleep 0.05
        done
        grep -q '"event": "listening"' "$PROXY_LOG" && break
        _reg_kill "$PROXY_PID"
        PROXY_PID=""
        ((attempt < 3)) || fail "the fault proxy did not start: $(tail -5 "$REG_DIR/proxy-$port.out")"
    done
    export PROXY_HOST PROXY_URL PROXY_LOG
    step "fault proxy on $PROXY_URL -> $REG_HOST"
}

set_proxy_rules() { # RULES
    [[ -n ${PROXY_RULES:-} ]] || fail "set_proxy_rules: no proxy"
    _reg_write_rules "$1"
}

stop_fault_proxy() {
    if [[ -n $PROXY_PID ]]; then
        _reg_kill "$PROXY_PID"
        PROXY_PID=""
    fi
}

# _reg_log_query LOG KIND [METHOD] [PATH_REGEX] [STATUS]: KIND count | fwd | in | faults.
_reg_proxy_query() {
    "$REG_PYTHON" - "$@" <<'EOF'
import json, re, sys
log, kind = sys.argv[1], sys.argv[2]
method = sys.argv[3] if len(sys.argv) > 3 else ""
path = re.compile(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
status = sys.argv[5] if len(sys.argv) > 5 else ""
total = 0
for line in open(log):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if kind == "faults":
        if r.get("event") == "fault" and (not method or r.get("action") == method):
            total += 1
        continue
    if r.get("event") != "request":
        continue
    if method and r.get("method") != method:
        continue
    if path and not path.search(r.get("path") or ""):
        continue
    if status and str(r.get("status")) != status:
        continue
    total += 1 if kind == "count" else int(r.get(kind) or 0)
print(total)
EOF
}

proxy_count() { _reg_proxy_query "$PROXY_LOG" count "$@"; }        # [METHOD] [PATH_RE] [STATUS]
proxy_fwd_bytes() { _reg_proxy_query "$PROXY_LOG" fwd "$@"; }     # body bytes that reached the registry
proxy_in_bytes() { _reg_proxy_query "$PROXY_LOG" in "$@"; }       # body bytes the client sent
proxy_faults() { _reg_proxy_query "$PROXY_LOG" faults "$@"; }     # [ACTION]: faults that fired

# reg_access_count METHOD PATH_REGEX [STATUS]: requests in the registry's access log (combined
# format: ... "PATCH /v2/x/blobs/uploads/ID?_state=... HTTP/1.1" 202 0 "" "ua").
reg_access_count() {
    "$REG_PYTHON" - "$REG_LOG" "$@" <<'EOF'
import re, sys
log, method, path = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
status = sys.argv[4] if len(sys.argv) > 4 else ""
n = 0
for line in open(log, errors="replace"):
    m = re.search(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3}) ', line)
    if m and m.group(1) == method and path.search(m.group(2)) and (not status or m.group(3) == status):
        n += 1
print(n)
EOF
}

# wait_for_log FILE EXTENDED_REGEX [TIMEOUT_SECONDS] [MARK]: wait for a matching line, only
# among the lines after MARK (a line count from log_mark FILE) when given.
wait_for_log() {
    local file=$1 re=$2 limit=$((${3:-60} * 20)) from=$((${4:-0} + 1)) i
    for ((i = 0; i < limit; i++)); do
        tail -n +"$from" "$file" 2>/dev/null | grep -Eq -- "$re" && return 0
        sleep 0.05
    done
    fail "no line matching [$re] in $file after ${3:-60} s"
}
# interrupt_during_stall PID WHAT: sends SIGINT to PID (a ckimg held up by a proxy stall) and
# returns its exit status in INTERRUPT_STATUS. Not a timing test: 20 s only tells "stopped" from
# "ignored the signal" (the stalls last 60 s).
interrupt_during_stall() {
    local pid=$1 what=$2 i
    kill -INT "$pid"
    for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "$what still runs 20 s after SIGINT"
    INTERRUPT_STATUS=0
    wait "$pid" || INTERRUPT_STATUS=$?
}

log_mark() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# assert_no_secret FILE...: no password, Basic credential or JWT in any of the files.
assert_no_secret() {
    local f basic
    [[ -n $REG_PASS ]] || return 0
    basic=$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)
    for f in "$@"; do
        [[ -f $f ]] || continue
        ! grep -qF -- "$REG_PASS" "$f" || fail "$f contains the password"
        ! grep -qF -- "$basic" "$f" || fail "$f contains the Basic credential"
        ! grep -Eq 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}' "$f" || fail "$f contains a token"
    done
}

# --- talking to the registry directly --------------------------------------------------------

# reg_token SCOPE...: a bearer token from the token server (token modes).
reg_token() {
    local ca=() scopes=() sc
    [[ $TOKEN_URL == https://* ]] && ca=(--cacert "$REG_CA")
    for sc in "$@"; do scopes+=(--data-urlencode "scope=$sc"); done
    curl -sSf "${ca[@]}" -u "$REG_USER:$REG_PASS" -G --data-urlencode "service=$TOKEN_SERVICE" \
        "${scopes[@]}" "$TOKEN_URL" | reg_json - 'd["token"]'
}

# reg_curl METHOD PATH|URL [curl args...]: curl against the registry (or, with REG_VIA=URL set,
# through that proxy) with the mode's TLS and credentials: Basic in tls-basic, a token for the
# repository named in the path in token modes. An absolute URL (an upload Location) is used as
# it is. Output is curl's; add -o/-w/-D as needed.
reg_curl() {
    local method=$1 target=$2 url path
    shift 2
    if [[ $target == http://* || $target == https://* ]]; then
        url=$target
        path=/${target#*://*/}
    else
        url=${REG_VIA:-$REG_URL}$target
        path=$target
    fi
    local args=(-sS --max-time 120)
    [[ $url == https://* ]] && args+=(--cacert "$REG_CA")
    if [[ $method == HEAD ]]; then args+=(--head); else args+=(-X "$method"); fi
    case $REG_MODE in
    tls-basic) args+=(-u "$REG_USER:$REG_PASS") ;;
    token | token-tls)
        local scope="registry:catalog:*" actions=pull token
        [[ $method == GET || $method == HEAD ]] || actions=pull,push,delete
        local scopes=()
        if [[ $path =~ ^/v2/(.+)/(manifests|blobs|tags|referrers)/ ]]; then
            scope="repository:${BASH_REMATCH[1]}:$actions"
        fi
        scopes=("$scope")
        # A cross-repository mount also needs pull on the source repository.
        [[ $path =~ [?\&]from=([^\&]+) ]] && scopes+=("repository:${BASH_REMATCH[1]}:pull")
        token=$(reg_token "${scopes[@]}") || fail "no token for ${scopes[*]}"
        args+=(-H "Authorization: Bearer $token")
        ;;
    esac
    curl "${args[@]}" "$@" "$url"
}

# reg_header FILE NAME: a header's value from a `curl -D FILE` dump (the last response's).
reg_header() {
    tr -d '\r' <"$1" | awk -v k="$2" 'tolower($1) == tolower(k) ":" { sub(/^[^:]*: */, ""); v = $0 } END { print v }'
}

_REG_ACCEPT="application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json"

# reg_manifest_digest REPO REF: the Docker-Content-Digest of a tag or digest; empty if absent.
reg_manifest_digest() {
    reg_curl HEAD "/v2/$1/manifests/$2" -H "Accept: $_REG_ACCEPT" |
        tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}'
}

# reg_blob_present REPO DIGEST: status 0 when the registry holds the blob in that repository.
reg_blob_present() {
    local code
    code=$(reg_curl HEAD "/v2/$1/blobs/$2" -o /dev/null -w '%{http_code}')
    [[ $code == 200 ]]
}

# reg_image_state REPO REF: prints "absent" (the reference does not resolve), "complete" (the
# manifest or index, every child manifest, config and layer are present), or
# "incomplete: DIGEST..." naming what is missing.
reg_image_state() {
    local repo=$1 ref=$2 missing=() body d
    body=$(reg_curl GET "/v2/$repo/manifests/$ref" -H "Accept: $_REG_ACCEPT" -w '\n%{http_code}')
    [[ ${body##*$'\n'} == 200 ]] || { echo absent; return 0; }
    body=${body%$'\n'*}
    local queue=("$body") kids
    while ((${#queue[@]})); do
        kids=$(printf '%s' "${queue[0]}" | "$REG_PYTHON" -c '
import json, sys
m = json.load(sys.stdin)
for c in m.get("manifests", []):
    print("manifest", c["digest"])
if "config" in m:
    print("blob", m["config"]["digest"])
for l in m.get("layers", []):
    print("blob", l["digest"])')
        queue=("${queue[@]:1}")
        while read -r kind d; do
            [[ -n $d ]] || continue
            if [[ $kind == blob ]]; then
                reg_blob_present "$repo" "$d" || missing+=("$d")
            else
                body=$(reg_curl GET "/v2/$repo/manifests/$d" -H "Accept: $_REG_ACCEPT" -w '\n%{http_code}')
                if [[ ${body##*$'\n'} == 200 ]]; then queue+=("${body%$'\n'*}"); else missing+=("$d"); fi
            fi
        done <<<"$kids"
    done
    if ((${#missing[@]})); then echo "incomplete: ${missing[*]}"; else echo complete; fi
}

# --- skopeo, the peer ------------------------------------------------------------------------

reg_skopeo_inspect_raw() { # REPO:TAG|REPO@DIGEST [HOST]
    skopeo inspect --raw "${REG_SKOPEO_FLAGS[@]}" "docker://${2:-$REG_HOST}/$1"
}
reg_skopeo_pull() { # REPO:TAG DIR[:TAG] [HOST]: every manifest of the index, digests kept
    skopeo --policy "$REG_POLICY" copy -q --all --preserve-digests "${REG_SKOPEO_SRC_FLAGS[@]}" \
        "docker://${3:-$REG_HOST}/$1" "oci:$2"
}
reg_skopeo_push() { # DIR[:TAG] REPO:TAG [HOST]
    skopeo --policy "$REG_POLICY" copy -q --all --preserve-digests "${REG_SKOPEO_DEST_FLAGS[@]}" \
        "oci:$1" "docker://${3:-$REG_HOST}/$2"
}

# --- images to push --------------------------------------------------------------------------

# make_archive FILE PAGES_SIZE [ckimg-gen args...]: a CRI-O checkpoint archive.
make_archive() {
    local out=$1 size=$2
    shift 2
    "$CKIMG_GEN" --engine crio -o "$out" --pages-size "$size" "$@" ||
        fail "ckimg-gen failed to write $out"
}

# build_image NAME PAGES_SIZE [ckimg build args...]: archive $WORK/NAME.tar and layout
# oci:$WORK/NAME:latest; BUILD_JSON=$WORK/NAME.build.json holds `ckimg build --json`.
build_image() {
    local name=$1 size=$2
    shift 2
    make_archive "$WORK/$name.tar" "$size"
    BUILD_JSON=$WORK/$name.build.json
    "$CKIMG" build "$WORK/$name.tar" -o "oci:$WORK/$name:latest" --json "$@" >"$BUILD_JSON" ||
        fail "ckimg build $name failed"
}

# layout_blobs DIR TAG: the blobs (configs and layers, not manifests) the tag reaches in an OCI
# layout, one digest per line, sorted. layout_manifests DIR TAG: the manifests and indexes.
layout_blobs() { _reg_layout_walk "$1" "$2" blobs; }
layout_manifests() { _reg_layout_walk "$1" "$2" manifests; }
_reg_layout_walk() {
    "$REG_PYTHON" - "$1" "$2" "$3" <<'EOF'
import json, os, sys
root, tag, kind = sys.argv[1], sys.argv[2], sys.argv[3]
top = json.load(open(os.path.join(root, "index.json")))
start = [m for m in top["manifests"]
         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
if not start:
    sys.exit(f"tag {tag} not in {root}")
manifests, blobs, queue = set(), set(), [start[0]["digest"]]
while queue:
    d = queue.pop()
    if d in manifests:
        continue
    manifests.add(d)
    m = json.load(open(os.path.join(root, "blobs", *d.split(":", 1))))
    queue += [c["digest"] for c in m.get("manifests", [])]
    if "config" in m:
        blobs.add(m["config"]["digest"])
    blobs.update(l["digest"] for l in m.get("layers", []))
print("\n".join(sorted(blobs if kind == "blobs" else manifests)))
EOF
}

# layout_digest DIR TAG: the digest the tag points at.
layout_digest() {
    "$REG_PYTHON" - "$1" "$2" <<'EOF'
import json, os, sys
top = json.load(open(os.path.join(sys.argv[1], "index.json")))
for m in top["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"]); break
else:
    sys.exit(f"tag {sys.argv[2]} not in {sys.argv[1]}")
EOF
}

# --- ckimg push checks, shared by the test_push_*.sh tests ----------------------------------

# No credentials from the machine running the tests: ckimg and skopeo see an empty home, runtime
# dir and docker config (tests that want an auth file set REGISTRY_AUTH_FILE themselves).
reg_isolate_auth() {
    export HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run DOCKER_CONFIG=$WORK/home/.docker
    mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
    chmod 700 "$XDG_RUNTIME_DIR"
    unset REGISTRY_AUTH_FILE
}
reg_isolate_auth

# _reg_redact TEXT: TEXT with the password replaced (for failure messages).
_reg_redact() {
    local t=$*
    [[ -n $REG_PASS ]] && t=${t//"$REG_PASS"/<password>}
    printf '%s' "$t"
}

# ck_push NAME ARGS...: `$CKIMG push ARGS --json`; stdout in $WORK/NAME.json (PUSH_JSON),
# stderr in $WORK/NAME.err. Fails the test when the push fails, when stdout is not one JSON
# object, or when a secret shows up in either.
ck_push() {
    local name=$1 status=0
    shift
    "$CKIMG" push "$@" --json >"$WORK/$name.json" 2>"$WORK/$name.err" || status=$?
    assert_no_secret "$WORK/$name.json" "$WORK/$name.err"
    [[ $status == 0 ]] || fail "$(_reg_redact "ckimg push $* exited $status: $(cat "$WORK/$name.err")")"
    "$REG_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, dict)' \
        "$WORK/$name.json" 2>/dev/null ||
        fail "ckimg push --json did not print one JSON object: $(head -c 400 "$WORK/$name.json")"
    PUSH_JSON=$WORK/$name.json
}

# ck_fails STATUS TEXT NAME ARGS...: like run_fails for `ckimg ARGS` (exactly one line on stderr
# holding TEXT; STATUS may list alternatives, "1|2"), keeping stdout/stderr as $WORK/NAME.out /
# NAME.err; no secret may appear in them.
ck_fails() {
    local want=$1 text=$2 name=$3 status=0 lines
    shift 3
    "$CKIMG" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
    assert_no_secret "$WORK/$name.out" "$WORK/$name.err"
    [[ "|$want|" == *"|$status|"* ]] ||
        fail "$(_reg_redact "ckimg $* exited $status, wanted $want: $(cat "$WORK/$name.err")")"
    lines=$(wc -l <"$WORK/$name.err")
    [[ $lines == 1 ]] || fail "$(_reg_redact "ckimg $* printed $lines lines on stderr, wanted 1: $(cat "$WORK/$name.err")")"
    grep -qF -- "$text" "$WORK/$name.err" ||
        fail "$(_reg_redact "ckimg $*: stderr [$(cat "$WORK/$name.err")] lacks [$text]")"
}

# push_field KEY: a field of the last ck_push's JSON.
push_field() { reg_json "$PUSH_JSON" "d[\"$1\"]"; }

# assert_push_counts PUSHED SKIPPED MOUNTED: the last push's counters ("*" skips one).
assert_push_counts() {
    local want=("$@") keys=(pushed skipped mounted) i got
    for i in 0 1 2; do
        [[ ${want[i]} == "*" ]] && continue
        got=$(push_field "${keys[i]}")
        assert_eq "${want[i]}" "$got" "push ${keys[i]} ($(tr -d '\n' <"$PUSH_JSON"))"
    done
}

# verify_pushed REPO TAG LAYOUT LAYOUT_TAG: what the registry serves for REPO:TAG is what the
# layout holds and what the last ck_push reported, as the peer (skopeo) sees it: the digest of
# `skopeo inspect --raw` and its size/mediaType, every child manifest with its layers and
# annotations, and a `skopeo copy` back into an OCI layout with the same blobs.
verify_pushed() {
    local repo=$1 tag=$2 layout=$3 ltag=$4 host=${5:-$REG_HOST}
    local want raw=$WORK/verify-raw.json got m
    want=$(layout_digest "$layout" "$ltag")
    assert_eq "$want" "$(push_field digest)" "digest reported by ckimg push vs the layout"
    reg_skopeo_inspect_raw "$repo:$tag" "$host" >"$raw" || fail "skopeo inspect --raw $repo:$tag failed"
    got=sha256:$(sha256sum <"$raw" | cut -d' ' -f1)
    assert_eq "$want" "$got" "digest of skopeo inspect --raw $repo:$tag"
    assert_eq "$(stat -c %s "$raw")" "$(push_field size)" "size reported by ckimg push"
    assert_eq "$(reg_json "$raw" 'd["mediaType"]')" "$(push_field mediaType)" "mediaType reported by ckimg push"
    assert_contains "$(push_field reference)" "$repo" "reference reported by ckimg push"
    cmp -s "$raw" "$layout/blobs/${want/://}" || fail "the registry's $repo:$tag differs from the layout's"
    # Child manifests (an index) or the manifest itself, by digest, through skopeo.
    local children
    children=$(reg_json "$raw" '"\n".join(m["digest"] for m in d.get("manifests", []))')
    for m in $children; do
        reg_skopeo_inspect_raw "$repo@$m" "$host" >"$WORK/verify-m.json" ||
            fail "skopeo inspect --raw $repo@$m failed"
        assert_eq "$m" "sha256:$(sha256sum <"$WORK/verify-m.json" | cut -d' ' -f1)" "manifest $m digest"
        assert_eq "$(reg_json "$layout/blobs/${m/://}" '" ".join(l["digest"] for l in d["layers"])')" \
            "$(reg_json "$WORK/verify-m.json" '" ".join(l["digest"] for l in d["layers"])')" "layer digests of $m"
        assert_eq "$(reg_json "$layout/blobs/${m/://}" "d.get('annotations', {}).get('$REG_CKPT_KEY')")" \
            "$(reg_json "$WORK/verify-m.json" "d.get('annotations', {}).get('$REG_CKPT_KEY')")" \
            "manifest annotation $REG_CKPT_KEY"
    done
    # The checkpoint annotation is there and equals what `ckimg build --json` reported.
    if [[ -n ${BUILD_JSON:-} && -f $BUILD_JSON ]]; then
        local want_ann
        want_ann=$(reg_json "$BUILD_JSON" "d['annotations']['$REG_CKPT_KEY']")
        [[ -n $want_ann ]] || fail "ckimg build --json reported no $REG_CKPT_KEY"
        assert_eq "$want_ann" "$(reg_json "$raw" "d.get('annotations', {}).get('$REG_CKPT_KEY')")" \
            "index annotation $REG_CKPT_KEY"
        for m in $children; do
            assert_eq "$want_ann" "$(reg_json "$layout/blobs/${m/://}" "d['annotations']['$REG_CKPT_KEY']")" \
                "manifest annotation $REG_CKPT_KEY"
        done
    fi
    # The peer copies it back, digests kept.
    local back=$WORK/pulled-$RANDOM
    reg_skopeo_pull "$repo:$tag" "$back:$tag" "$host" || fail "skopeo copy docker://$host/$repo:$tag failed"
    assert_eq "$want" "$(layout_digest "$back" "$tag")" "digest copied back by skopeo"
    assert_eq "$(layout_blobs "$layout" "$ltag")" "$(layout_blobs "$back" "$tag")" "blobs copied back by skopeo"
    assert_eq complete "$(reg_image_state "$repo" "$tag")" "registry state of $repo:$tag"
    rm -rf "$back"
}

REG_CKPT_KEY=io.kubernetes.cri-o.annotations.checkpoint.name

# blob_count LAYOUT TAG: how many blobs (configs + layers) the tag reaches.
blob_count() { layout_blobs "$1" "$2" | grep -c .; }

# push_suite PREFIX [ckimg push flags...]: the round trip every registry mode must pass, on
# image oci:$WORK/app:latest (build_image app ... first): push to PREFIX/app:v1 and verify with
# skopeo; push again (every blob skipped, nothing uploaded); push to PREFIX/copy:v1 with
# --mount-from (every blob mounted); a chunked push (--chunk-size 4M) to PREFIX/chunked:v1.
push_suite() {
    local prefix=$1 n
    shift
    n=$(blob_count "$WORK/app" latest)
    step "$REG_MODE: push, then skopeo reads back what ckimg reported"
    ck_push suite-1 "oci:$WORK/app:latest" "$REG_HOST/$prefix/app:v1" "$@"
    assert_push_counts "$n" 0 0
    verify_pushed "$prefix/app" v1 "$WORK/app" latest
    step "$REG_MODE: push again: every blob skipped"
    ck_push suite-2 "oci:$WORK/app:latest" "$REG_HOST/$prefix/app:v1" "$@"
    assert_push_counts 0 "$n" 0
    assert_eq 0 "$(push_field bytes)" "bytes uploaded by a second push"
    step "$REG_MODE: push to a second repository: every blob mounted"
    ck_push suite-3 "oci:$WORK/app:latest" "$REG_HOST/$prefix/copy:v1" "$@" --mount-from "$prefix/app"
    assert_push_counts 0 0 "$n"
    (($(reg_access_count POST "^/v2/$prefix/copy/blobs/uploads/\?.*mount=" 201) >= n)) ||
        fail "the access log shows fewer than $n mounts into $prefix/copy"
    verify_pushed "$prefix/copy" v1 "$WORK/app" latest
    step "$REG_MODE: chunked push (--chunk-size 4M)"
    ck_push suite-4 "oci:$WORK/app:latest" "$REG_HOST/$prefix/chunked:v1" "$@" --chunk-size 4M
    (($(reg_access_count PATCH "^/v2/$prefix/chunked/blobs/uploads/" 202) >= 2)) ||
        fail "the chunked push made fewer than 2 PATCHes"
    verify_pushed "$prefix/chunked" v1 "$WORK/app" latest
    step "$REG_MODE: build --push streams the layer (one PATCH, no Content-Range) to the same image"
    local status=0
    "$CKIMG" build "$WORK/app.tar" --push "$REG_HOST/$prefix/streamed:v1" "$@" -q \
        2>"$WORK/suite-5.err" || status=$?
    assert_no_secret "$WORK/suite-5.err"
    assert_eq 0 "$status" "build --push: $(_reg_redact "$(cat "$WORK/suite-5.err")")"
    assert_eq 1 "$(reg_access_count PATCH "^/v2/$prefix/streamed/blobs/uploads/" 202)" \
        "PATCHes of build --push (one streamed layer)"
    assert_eq "$(layout_digest "$WORK/app" latest)" "$(reg_manifest_digest "$prefix/streamed" v1)" \
        "the streamed image"
    assert_eq complete "$(reg_image_state "$prefix/streamed" v1)" "the streamed image's blobs"
}

# login_suite: `ckimg login` / `logout` against the running (authenticating) registry, with
# the mode's TLS flags: good credentials are checked and stored (mode 0600) in
# $REGISTRY_AUTH_FILE and then used by push; bad ones fail and store nothing; logout removes
# the entry and push without credentials fails again.
login_suite() {
    local auth=$WORK/login/auth.json status=0 entry
    mkdir -p "$WORK/login"
    step "$REG_MODE: login with a wrong password stores nothing"
    local wrong
    wrong=wrong-$(_reg_rand 8)
    printf '%s\n' "$wrong" | REGISTRY_AUTH_FILE=$auth "$CKIMG" login "$REG_HOST" -u "$REG_USER" \
        --password-stdin "${REG_TLS_FLAGS[@]}" >"$WORK/login-bad.out" 2>"$WORK/login-bad.err" || status=$?
    assert_eq 1 "$status" "exit status of login with a wrong password"
    assert_eq 1 "$(wc -l <"$WORK/login-bad.err")" "stderr lines of a failed login"
    ! grep -qF -- "$wrong" "$WORK/login-bad.out" "$WORK/login-bad.err" || fail "login printed the password"
    assert_no_secret "$WORK/login-bad.out" "$WORK/login-bad.err"
    if [[ -e $auth ]]; then
        "$REG_PYTHON" -c 'import json,sys; a=json.load(open(sys.argv[1])).get("auths",{}); sys.exit(sys.argv[2] in a)' \
            "$auth" "$REG_HOST" || fail "a failed login stored credentials"
    fi

    step "$REG_MODE: login with good credentials stores them at 0600"
    printf '%s\n' "$REG_PASS" | REGISTRY_AUTH_FILE=$auth "$CKIMG" login "$REG_HOST" -u "$REG_USER" \
        --password-stdin "${REG_TLS_FLAGS[@]}" >"$WORK/login.out" 2>"$WORK/login.err" ||
        fail "login failed: $(_reg_redact "$(cat "$WORK/login.err")")"
    assert_no_secret "$WORK/login.out" "$WORK/login.err"
    assert_eq 600 "$(stat -c %a "$auth")" "mode of the auth file"
    entry=$(reg_json "$auth" "d['auths']['$REG_HOST']['auth']")
    assert_eq "$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)" "$entry" "stored credential"

    step "$REG_MODE: push with the stored credentials (REGISTRY_AUTH_FILE, then --authfile)"
    REGISTRY_AUTH_FILE=$auth ck_push login-push "oci:$WORK/app:latest" "$REG_HOST/login/app:v1" "${REG_TLS_FLAGS[@]}"
    assert_eq complete "$(reg_image_state login/app v1)" "image pushed with the auth file"
    ck_push login-push2 "oci:$WORK/app:latest" "$REG_HOST/login/app:v2" "${REG_TLS_FLAGS[@]}" --authfile "$auth"
    assert_eq complete "$(reg_image_state login/app v2)" "image pushed with --authfile"

    step "$REG_MODE: logout removes the entry"
    REGISTRY_AUTH_FILE=$auth "$CKIMG" logout "$REG_HOST" >"$WORK/logout.out" 2>"$WORK/logout.err" ||
        fail "logout failed: $(cat "$WORK/logout.err")"
    if [[ -e $auth ]]; then
        "$REG_PYTHON" -c 'import json,sys; a=json.load(open(sys.argv[1])).get("auths",{}); sys.exit(sys.argv[2] in a)' \
            "$auth" "$REG_HOST" || fail "logout left the entry in $auth"
    fi
    REGISTRY_AUTH_FILE=$auth ck_fails 1 "" logout-push push "oci:$WORK/app:latest" \
        "$REG_HOST/login/app:v3" "${REG_TLS_FLAGS[@]}"
}

# proxy_peak_rss_kb: the fault proxy's peak resident memory so far (VmHWM, KiB).
proxy_peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$PROXY_PID/status"; }

# upload_bytes REPO [fwd|in]: request body bytes under /v2/REPO/blobs/uploads/ (POST, PATCH and
# PUT together) that reached the registry (fwd, default) or that the client sent (in), as the
# proxy counted them.
upload_bytes() { _reg_proxy_query "$PROXY_LOG" "${2:-fwd}" "" "^/v2/$1/blobs/uploads/"; }

# retry_after_honoured: every 429 the proxy injected with a Retry-After of S seconds was followed
# by the same request (method and path, query aside) no sooner than S seconds later (0.1 s
# slack); prints how many were checked.
retry_after_honoured() {
    "$REG_PYTHON" - "$PROXY_LOG" "$PROXY_RULES" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rules = json.load(open(sys.argv[2]))
rules = rules.get("rules", rules) if isinstance(rules, dict) else rules
checked = 0
for i, r in enumerate(recs):
    if r.get("event") != "fault" or r.get("status") != 429:
        continue
    wait = float(rules[r["rule"]].get("retry_after") or 0)
    base = r["path"].split("?")[0]
    nxt = [q for q in recs[i + 1:] if q.get("event") == "request" and q.get("method") == r["method"]
           and (q.get("path") or "").split("?")[0] == base and q["start"] > r["ts"]]
    if not nxt:
        sys.exit(f"the {r['method']} {base} answered 429 was never retried")
    gap = nxt[0]["start"] - r["ts"]
    if gap < wait - 0.1:
        sys.exit(f"{r['method']} {base} retried {gap:.2f} s after a 429 with Retry-After: {wait:g}")
    checked += 1
print(checked)
PY
}
