#!/usr/bin/env bash
# An interrupted build (SIGINT or SIGTERM while the layer is being written) stops cleanly:
# exit status 130, no partial blob, no temporary file, index.json unchanged, and a layout that
# the build itself created is removed. Two SIGTERMs in quick succession (the second kills at
# once, before any cleanup) leave no temporary file either: a blob being written has no name
# until it is complete (O_TMPFILE).
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

# Waits until the build has a temporary blob in flight, then signals it (twice: "TERM TERM").
interrupt_build() { # signals layout-dir
    local signals=$1 dir=$2 pid status=0 signal
    "$CKIMG" build "$WORK/big.tar" -o "oci:$dir:new" --compression gzip --level 6 2>"$WORK/err" &
    pid=$!
    for _ in $(seq 200); do
        blob_in_flight "$pid" "$dir" && break
        sleep 0.05
    done
    blob_in_flight "$pid" "$dir" || fail "the build never started a blob"
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
echo PASS
