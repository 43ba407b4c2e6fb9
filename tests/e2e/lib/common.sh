# Shared helpers for the end-to-end tests. Each test script sources this file, runs the real
# binaries and exits non-zero on the first failed expectation (exit 77 = skipped).
set -euo pipefail

: "${CKIMG:?CKIMG must name the ckimg binary}"
: "${CKIMG_GEN:?CKIMG_GEN must name the ckimg-gen binary}"
: "${CKIMG_SOURCE_DIR:?CKIMG_SOURCE_DIR must name the source tree}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ckimg-e2e.XXXXXX")
CLEANUP_HOOKS=()
cleanup() {
    local hook
    for hook in "${CLEANUP_HOOKS[@]}"; do eval "$hook" || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
on_exit() { CLEANUP_HOOKS+=("$1"); }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
step() { echo "--- $*" >&2; }

assert_eq() { # expected actual what
    [[ "$1" == "$2" ]] || fail "$3: expected [$1], got [$2]"
}
assert_contains() { # haystack needle what
    [[ "$1" == *"$2"* ]] || fail "$3: [$1] does not contain [$2]"
}
assert_file_absent() { [[ ! -e "$1" ]] || fail "$1 should not exist"; }

# run_fails EXPECTED_STATUS EXPECTED_SUBSTRING cmd...: the command must fail with that status and
# print exactly one line on stderr containing the substring.
run_fails() {
    local want_status=$1 want_text=$2 status=0
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
    [[ $status == "$want_status" ]] || fail "$* exited $status, wanted $want_status: $(cat "$WORK/err")"
    local lines
    lines=$(wc -l <"$WORK/err")
    [[ $lines == 1 ]] || fail "$* printed $lines lines on stderr, wanted 1: $(cat "$WORK/err")"
    grep -qF -- "$want_text" "$WORK/err" || fail "$*: stderr [$(cat "$WORK/err")] lacks [$want_text]"
}

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

json_get() { # file-or-'-' jq-like python expression on `d`
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]) if sys.argv[1]!="-" else sys.stdin); print(eval(sys.argv[2]))' "$1" "$2"
}

need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (tools/test installs it)"; }
