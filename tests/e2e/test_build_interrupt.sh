#!/usr/bin/env bash
# An interrupted build (SIGINT or SIGTERM while the layer is being written) stops cleanly:
# exit status 130, no partial blob, no temporary file, index.json unchanged, and a layout that
# the build itself created is removed.
source "$(dirname "$0")/lib/common.sh"

"$CKIMG_GEN" --engine crio --pages-size 768M -o "$WORK/big.tar"
"$CKIMG_GEN" --engine crio --pages-size 1M -o "$WORK/small.tar"
"$CKIMG" build "$WORK/small.tar" -o "oci:$WORK/existing:keep" -q
index_before=$(cat "$WORK/existing/index.json")

# Waits until the build has a temporary blob in flight, then signals it.
interrupt_build() { # signal layout-dir
    local signal=$1 dir=$2 pid status=0
    "$CKIMG" build "$WORK/big.tar" -o "oci:$dir:new" --compression gzip --level 6 2>"$WORK/err" &
    pid=$!
    for _ in $(seq 200); do
        compgen -G "$dir/blobs/sha256/.ckimg-tmp-*" >/dev/null && break
        sleep 0.05
    done
    compgen -G "$dir/blobs/sha256/.ckimg-tmp-*" >/dev/null || fail "the build never started a blob"
    kill "-$signal" "$pid"
    wait "$pid" || status=$?
    assert_eq 130 "$status" "exit status after SIG$signal"
    assert_eq "ckimg: interrupted" "$(cat "$WORK/err")" "message after SIG$signal"
}

step "SIGINT into a layout the build created: the layout is gone"
interrupt_build INT "$WORK/fresh"
assert_file_absent "$WORK/fresh"

step "SIGTERM into an existing layout: unchanged, no temporary files"
interrupt_build TERM "$WORK/existing"
assert_eq "$index_before" "$(cat "$WORK/existing/index.json")" "index.json after an interrupted build"
assert_eq "" "$(find "$WORK" -name '.ckimg-*')" "temporary files left"
assert_eq 4 "$(find "$WORK/existing/blobs/sha256" -type f | wc -l)" "blobs in the existing layout"
echo PASS
