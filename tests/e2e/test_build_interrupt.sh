#!/usr/bin/env bash
# An interrupted build (SIGINT or SIGTERM while the layer is being written) stops cleanly:
# exit status 130, no partial blob, no temporary file, index.json unchanged, and a layout that
# the build itself created is removed. Two SIGTERMs in quick succession (the second kills at
# once, before any cleanup) leave no temporary file either: a blob being written has no name
# until it is complete (O_TMPFILE). validate stops on SIGINT too, and validate and build stop on
# SIGINT/SIGTERM while a standard input that stalls keeps them waiting for data.
source "$(dirname "$0")/lib/common.sh"

"$CKIMG_GEN" --engine crio --pages-size 768M -o "$WORK/big.tar"
"$CKIMG_GEN" --engine crio --pages-size 1M -o "$WORK/small.tar"
"$CKIMG" build "$WORK/small.tar" -o "oci:$WORK/existing:keep" -q
index_before=$(cat "$WORK/existing/index.json")

# True while process PID has a file open in DIR/blobs/sha256 (an unnamed one shows as
# "DIR/blobs/sha256/#INODE (deleted)"), or a temporary name exists there.
blob_in_flight() { # pid layout-dir
    local fd
    compgen -G "$2/blobs/sha256/.ckimg-tmp-*" >/dev/null && return 0
    for fd in /proc/"$1"/fd/*; do
        [[ $(readlink "$fd" 2>/dev/null) == "$2/blobs/sha256/"* ]] && return 0
    done
    return 1
}

# wait_until COMMAND...: true as soon as COMMAND is (polled for up to 10 s), false after.
wait_until() {
    for _ in $(seq 500); do
        "$@" && return 0
        sleep 0.02
    done
    return 1
}

# Waits until the build has a temporary blob in flight, then signals it (twice: "TERM TERM").
interrupt_build() { # signals layout-dir
    local signals=$1 dir=$2 pid status=0 signal
    "$CKIMG" build "$WORK/big.tar" -o "oci:$dir:new" --compression gzip --level 6 2>"$WORK/err" &
    pid=$!
    wait_until blob_in_flight "$pid" "$dir" || fail "the build never started a blob"
    for signal in $signals; do kill "-$signal" "$pid" 2>/dev/null || true; done
    wait "$pid" || status=$?
    if [[ $signals == *" "* ]]; then
        # The second signal kills at once (143), unless the first one's cleanup was done (130).
        [[ $status == 143 || $status == 130 ]] || fail "exit status $status after SIG$signals"
        return 0
    fi
    assert_eq 130 "$status" "exit status after SIG$signals"
    assert_eq "ckimg: interrupted" "$(cat "$WORK/err")" "message after SIG$signals"
}

step "SIGINT into a layout the build created: the layout is gone"
interrupt_build INT "$WORK/fresh"
assert_file_absent "$WORK/fresh"

step "SIGTERM into an existing layout: unchanged, no temporary files"
interrupt_build TERM "$WORK/existing"
assert_eq "$index_before" "$(cat "$WORK/existing/index.json")" "index.json after an interrupted build"
assert_eq "" "$(find "$WORK" -name '.ckimg-*')" "temporary files left"
assert_eq 4 "$(find "$WORK/existing/blobs/sha256" -type f | wc -l)" "blobs in the existing layout"

step "two SIGTERMs in quick succession into an existing layout: no temporary files"
for round in 1 2 3; do
    interrupt_build "TERM TERM" "$WORK/existing"
    assert_eq "$index_before" "$(cat "$WORK/existing/index.json")" "index.json after two SIGTERMs"
    assert_eq "" "$(find "$WORK" -name '.ckimg-*')" "temporary files left after two SIGTERMs ($round)"
    assert_eq 4 "$(find "$WORK/existing/blobs/sha256" -type f | wc -l)" "blobs after two SIGTERMs"
done
# reading PID FILE: true while process PID has FILE open.
reading() {
    local fd
    for fd in /proc/"$1"/fd/*; do
        [[ $(readlink "$fd" 2>/dev/null) == "$2" ]] && return 0
    done
    return 1
}

# validate skips an uncompressed archive's data (seeks): a compressed one is read through.
"$CKIMG_GEN" --engine crio --pages-size 256M --compress gzip -o "$WORK/big.tar.gz"

step "validate: SIGINT while it reads a large compressed archive: exit 130, one line"
"$CKIMG" validate "$WORK/big.tar.gz" >"$WORK/out" 2>"$WORK/err" &
pid=$!
wait_until reading "$pid" "$WORK/big.tar.gz" || fail "validate never opened the archive (or was done at once)"
kill -INT "$pid"
status=0
wait "$pid" || status=$?
assert_eq 130 "$status" "exit status of validate after SIGINT"
assert_eq "ckimg: interrupted" "$(cat "$WORK/err")" "message of validate after SIGINT"
assert_eq "" "$(cat "$WORK/out")" "validate's output after SIGINT"

# A compressed archive on standard input that stops coming (cut in the middle, the writer still
# there): validate and build wait in a read that Ctrl-C must still end.
stalled() { # SIGNAL ckimg-args...: runs ckimg ARGS on a stalled standard input, then signals it
    local signal=$1 pid
    shift
    rm -f "$WORK/stall"
    mkfifo "$WORK/stall"
    "$CKIMG" "$@" <"$WORK/stall" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
    exec 3>"$WORK/stall"
    head -c 1M "$WORK/big.tar.gz" >&3
    sleep 0.5 # it has read what there is, and waits for more
    kill -0 "$pid" 2>/dev/null || fail "ckimg $1 ended before its input did: $(cat "$WORK/err")"
    kill "-$signal" "$pid"
    STALLED_STATUS=0
    timeout 10 tail --pid="$pid" -f /dev/null || fail "ckimg $1 did not stop within 10 s of SIG$signal"
    wait "$pid" || STALLED_STATUS=$?
    exec 3>&-
}

step "validate -: SIGINT while standard input stalls: exit 130, one line"
stalled INT validate -
assert_eq 130 "$STALLED_STATUS" "exit status of validate - after SIGINT"
assert_eq "ckimg: interrupted" "$(cat "$WORK/err")" "message of validate - after SIGINT"

step "build -: SIGTERM while standard input stalls: exit 130, the new layout gone"
stalled TERM build - -o "oci:$WORK/stalled:latest"
assert_eq 130 "$STALLED_STATUS" "exit status of build - after SIGTERM"
assert_eq "ckimg: interrupted" "$(cat "$WORK/err")" "message of build - after SIGTERM"
assert_file_absent "$WORK/stalled"
assert_eq "" "$(find "$WORK" -name '.ckimg-*')" "temporary files left after a stalled build"
echo PASS
