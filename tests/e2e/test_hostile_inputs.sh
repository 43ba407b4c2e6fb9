#!/usr/bin/env bash
# The hostile-input corpus (docs/reliability.md, "Hostile input"): every input that
# tests/hostile/make_corpus.py generates (archives truncated at each structural boundary, corrupt
# headers, bombs, hostile names and links, hostile metadata; hostile OCI layouts and OCI
# archives) and every hostile registry answer is run as tests/hostile/expected.tsv says, and
#   - ends with the table's exit status and, on failure, exactly one line on stderr equal to the
#     table's message ("@*" matches any text, @IN the input, @REG the registry's host:port);
#   - never crashes, hangs (every run has a timeout), or prints a control character or bytes
#     that are not UTF-8 (names and messages from hostile inputs are escaped);
#   - writes nothing outside its output: the input is unchanged, the working directory and
#     TMPDIR stay empty, a failed run leaves no output and no ".ckimg-*" file anywhere, an
#     "escaped" file never appears;
#   - stays within the table's memory (rss:MiB rows, measured with /usr/bin/time).
# Registry answers come from the real registry (docker-registry) through the fault proxy
# (tests/e2e/lib/fault_proxy.py, rules in tests/hostile/proxy-rules/), and from the test double
# tests/hostile/fake_registry.py only for what no real registry can be made to answer (an
# endless or 3 GiB body, a stall, a broken token server, the other host of a Location).
# HOSTILE_ONLY=REGEX runs only the rows whose name matches (when debugging one).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need zstd
[[ -x /usr/bin/time ]] || fail "/usr/bin/time is not installed (tools/test installs it)"

HOSTILE=$CKIMG_SOURCE_DIR/tests/hostile
TABLE=$HOSTILE/expected.tsv
CORPUS=$WORK/corpus
mkdir -p "$CORPUS/archives" "$CORPUS/layouts" "$WORK/runs" "$WORK/tmp" "$WORK/out"
# The RSS limits are for the release build; ASan's shadow memory and quarantine add their own.
RSS_SLACK_MIB=0
# Freed memory sits in ASan's quarantine (256 MiB by default), which would measure ASan, not
# ckimg: a small quarantine keeps the figure about the program's own allocations.
if grep -q __asan_init "$CKIMG" 2>/dev/null; then
    RSS_SLACK_MIB=192
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
fi

step "generate the corpus (tests/hostile/make_corpus.py)"
python3 "$HOSTILE/make_corpus.py" archives "$CORPUS/archives" >"$WORK/names" ||
    fail "make_corpus.py archives failed"
VALID=$(ls "$CORPUS"/archives/valid.tar)
"$CKIMG" build "$VALID" -o "oci:$WORK/good:latest" -q || fail "the valid archive does not build"
python3 "$HOSTILE/make_corpus.py" layouts "$WORK/good" "$CORPUS/layouts" >>"$WORK/names" ||
    fail "make_corpus.py layouts failed"

# The table: name, setup, status, arguments, expected message; '#' lines are comments.
mapfile -t ROWS < <(grep -v '^#' "$TABLE" | grep -v '^[[:space:]]*$')
((${#ROWS[@]} >= 40)) || fail "the table has only ${#ROWS[@]} rows"
declare -A IN_TABLE=()
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r name setup _ <<<"$row"
    IN_TABLE[$name]=1
    [[ -n $setup ]] || fail "malformed row (tab-separated: name setup status args message): $row"
done
while read -r name; do
    [[ -n ${IN_TABLE[$name]:-} ]] || fail "the corpus input $name has no row in expected.tsv"
done <"$WORK/names"

input_of() { # NAME: the corpus file or directory
    local f
    for f in "$CORPUS"/archives/"$1".tar* "$CORPUS/layouts/$1" "$CORPUS/layouts/$1.tar"; do
        [[ -e $f ]] && {
            echo "$f"
            return 0
        }
    done
    return 1
}

# text_matches TEXT PATTERN: PATTERN is literal text in which "@*" matches any text.
text_matches() {
    local text=$1 pattern=$2 piece first=1
    while [[ $pattern == *"@*"* ]]; do
        piece=${pattern%%"@*"*}
        pattern=${pattern#*"@*"}
        if ((first)); then
            [[ $text == "$piece"* ]] || return 1
            text=${text#"$piece"}
            first=0
        else
            [[ $text == *"$piece"* ]] || return 1
            text=${text#*"$piece"}
        fi
    done
    if ((first)); then [[ $text == "$pattern" ]]; else [[ $text == *"$pattern" ]]; fi
}

# --- registries -------------------------------------------------------------------------------

FAKE_PID=""
FAKE_HOST=""
FAKE_LOG=$WORK/fake.log
stop_fake() {
    if [[ -n $FAKE_PID ]]; then
        kill "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
        FAKE_PID=""
    fi
}
on_exit stop_fake
start_fake() { # MODE: the double on a free port, and "the other host" on another
    stop_fake
    local port other i
    port=$(free_port)
    other=$(free_port)
    [[ $other != "$port" ]] || other=$(free_port)
    : >"$FAKE_LOG"
    python3 "$HOSTILE/fake_registry.py" --port "$port" --other-port "$other" --mode "$1" \
        --log "$FAKE_LOG" >>"$WORK/fake.out" 2>&1 &
    FAKE_PID=$!
    for ((i = 0; i < 200; i++)); do
        grep -q '"listening"' "$FAKE_LOG" 2>/dev/null && break
        kill -0 "$FAKE_PID" 2>/dev/null || fail "fake_registry.py exited: $(tail -3 "$WORK/fake.out")"
        sleep 0.05
    done
    FAKE_HOST=127.0.0.1:$port
    FAKE_OTHER=127.0.0.1:$other
}
REGISTRY_UP=""
need_registry() {
    [[ -n $REGISTRY_UP ]] && return 0
    start_registry plain
    start_fault_proxy '[]'
    REGISTRY_UP=1
}

# --- one row ----------------------------------------------------------------------------------

# snapshot PATH: what a run must leave unchanged (file names, sizes and contents).
snapshot() {
    [[ -e $1 ]] || return 0
    find "$1" -type f -print0 | sort -z | xargs -0 -r sha256sum
}

RUN=0
# run_one NAME SETUP STATUS EXPECTED STDIN ARGS...: one ckimg run and every check on it.
run_one() {
    local name=$1 setup=$2 want=$3 expected=$4 stdin=$5
    shift 5
    RUN=$((RUN + 1))
    local dir=$WORK/runs/$RUN status=0 limit=120 rss_limit=""
    mkdir -p "$dir/cwd"
    [[ $setup == rss:* ]] && rss_limit=${setup#rss:} && limit=600
    local before
    before=$(snapshot "$IN_PATH")
    (
        cd "$dir/cwd"
        TMPDIR=$WORK/tmp timeout -k 10 "$limit" /usr/bin/time -f %M -o "$dir/rss" \
            "$CKIMG" "$@" <"$stdin" >"$dir/out" 2>"$dir/err"
    ) || status=$?
    local what="[$name] ckimg $*"
    ((status != 124 && status != 137)) || fail "$what: timed out after $limit s (a hang)"
    ((status < 128)) || fail "$what: killed by signal $((status - 128)): $(head -c 600 "$dir/err")"
    [[ $status == "$want" ]] || fail "$what: exit $status, wanted $want: $(head -c 600 "$dir/err")"
    if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$dir/err" "$dir/out"; then
        fail "$what: printed a control character: $(head -c 300 "$dir/err" | od -c | head -5)"
    fi
    # A message is one line's worth, whatever the registry put into its headers and URLs.
    if awk 'length($0) > 1000 { exit 1 }' "$dir/err"; then :; else
        fail "$what: printed a line of more than 1000 bytes: $(head -c 300 "$dir/err")"
    fi
    iconv -f UTF-8 -t UTF-8 "$dir/err" >/dev/null 2>&1 ||
        fail "$what: printed bytes that are not UTF-8: $(head -c 300 "$dir/err" | od -c | head -5)"
    [[ $(snapshot "$IN_PATH") == "$before" ]] || fail "$what: changed its input $IN_PATH"
    if [[ $want != 0 ]]; then
        local lines line
        lines=$(wc -l <"$dir/err")
        [[ $lines == 1 ]] || fail "$what: $lines lines on stderr, wanted 1: $(head -c 600 "$dir/err")"
        line=$(cat "$dir/err")
        text_matches "$line" "ckimg: $expected" ||
            fail "$what: stderr is
    [$line]
  wanted
    [ckimg: $expected]"
        [[ ! -e $OUT && ! -e $OUT.tar ]] || fail "$what: a failed run left its output $OUT"
    fi
    [[ -z $(ls -A "$dir/cwd") ]] || fail "$what: wrote into its working directory: $(ls -A "$dir/cwd")"
    [[ -z $(ls -A "$WORK/tmp") ]] || fail "$what: left files in TMPDIR: $(ls -A "$WORK/tmp")"
    local stray
    stray=$(find "$WORK" -name '.ckimg-*' -print -quit)
    [[ -z $stray ]] || fail "$what: left a partial file: $stray"
    [[ ! -e $WORK/evil && ! -e $WORK/runs/evil && ! -e $dir/evil ]] ||
        fail "$what: a file escaped the archive"
    if [[ -n $rss_limit ]]; then
        local rss_kib
        rss_kib=$(tail -1 "$dir/rss")
        ((rss_kib < (rss_limit + RSS_SLACK_MIB) * 1024)) ||
            fail "$what: peak RSS $((rss_kib / 1024)) MiB, over the ${rss_limit} MiB limit"
        echo "    $name: peak RSS $((rss_kib / 1024)) MiB (limit $rss_limit MiB + $RSS_SLACK_MIB)" >&2
    fi
    rm -rf "$dir"
}

substitute() { # TEXT: the placeholders filled in
    local text=$1
    text=${text//@IN/$IN}
    text=${text//@OUT/$OUT}
    text=${text//@GOOD/$WORK/good}
    text=${text//@VALID/$VALID}
    text=${text//@REG/$REG}
    text=${text//@OTHER/${FAKE_OTHER:-}}
    text=${text//@NAME/$NAME}
    printf '%s' "$text"
}

ROW_COUNT=0
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r NAME setup want args expected <<<"$row"
    [[ -z ${HOSTILE_ONLY:-} || $NAME =~ $HOSTILE_ONLY ]] || continue
    ROW_COUNT=$((ROW_COUNT + 1))
    IN=$(input_of "$NAME" || true)
    IN_PATH=$IN
    OUT=$WORK/out/$NAME-$ROW_COUNT
    REG=""
    case $setup in
    - | rss:*) [[ -n $IN || $args != *@IN* ]] || fail "[$NAME] no such corpus input" ;;
    proxy:*)
        need_registry
        start_fake recorder # the other host some rules send the client to
        sed "s/@FAKE/$FAKE_HOST/g" "$HOSTILE/proxy-rules/${setup#proxy:}.json" >"$WORK/rules.json"
        set_proxy_rules "@$WORK/rules.json"
        REG=$PROXY_HOST
        ;;
    fake:*)
        mode=${setup#fake:}
        WANT_OTHER=""
        [[ $mode == *:other ]] && WANT_OTHER=1 && mode=${mode%:other}
        start_fake "$mode"
        REG=$FAKE_HOST
        ;;
    *) fail "[$NAME] unknown setup $setup" ;;
    esac
    [[ $expected == - ]] && expected=""
    if [[ $args == archive ]]; then
        # An archive goes through every reader: validate, build into a layout and into an
        # OCI archive, and build from standard input (a pipe: no seeking, no size).
        step "$NAME: validate, build -o oci:, build -o oci-archive:, build from a pipe"
        run_one "$NAME" "$setup" "$want" "$(substitute "$expected")" /dev/null validate "$IN"
        run_one "$NAME" "$setup" "$want" "$(substitute "$expected")" /dev/null \
            build "$IN" -o "oci:$OUT:latest" -q
        run_one "$NAME" "$setup" "$want" "$(substitute "$expected")" /dev/null \
            build "$IN" -o "oci-archive:$OUT.tar" -q
        rm -rf "$OUT" "$OUT.tar"
        IN_PIPE=$IN
        IN="standard input"
        run_one "$NAME" "$setup" "$want" "$(substitute "$expected")" <(cat "$IN_PIPE") \
            build - -o "oci:$OUT:latest" -q
        rm -rf "$OUT"
        continue
    fi
    step "$NAME: ckimg $args"
    read -r -a argv <<<"$(substitute "$args")"
    run_one "$NAME" "$setup" "$want" "$(substitute "$expected")" /dev/null "${argv[@]}"
    rm -rf "$OUT" "$OUT.tar"
    if [[ $setup == proxy:* ]]; then
        state=$(reg_image_state "hostile/$NAME" v1)
        [[ $state != incomplete* ]] || fail "[$NAME] the registry holds a tag to an incomplete image"
        if [[ -n ${FAKE_HOST:-} ]] && grep -q '"authorization": true' "$FAKE_LOG"; then
            fail "[$NAME] credentials reached the other host: $(head -3 "$FAKE_LOG")"
        fi
    fi
    if [[ $setup == fake:* ]]; then
        ! grep -q '"leak": true' "$FAKE_LOG" ||
            fail "[$NAME] credentials reached the other host: $(grep '"leak": true' "$FAKE_LOG" | head -3)"
        ! grep -q '"injected": true' "$FAKE_LOG" ||
            fail "[$NAME] a header from the network was injected into a request"
        [[ -z ${WANT_OTHER:-} ]] || grep -q '"other": true' "$FAKE_LOG" ||
            fail "[$NAME] never reached the other host (the row tests nothing)"
    fi
done

echo "test_hostile_inputs: $ROW_COUNT rows, $RUN runs, all as expected" >&2
echo PASS
