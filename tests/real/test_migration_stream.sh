#!/usr/bin/env bash
# The streamed migration, ckimg's fastest path (tools/bench-migrate's "stream"), as the README
# gives it: on node a `podman container checkpoint --export FIFO` writes into a FIFO that `ckimg
# build FIFO --push` reads while Podman writes; on node b `ckimg export REF FIFO --config-readers
# 2` writes into a FIFO that `podman container restore --import FIFO` reads while the image
# downloads (Podman opens it three times). No archive touches the disk on either node. The
# container must go on with its state (counter, written and deleted files, volume), for a zstd
# and an uncompressed layer; the image must also be the checkpoint Podman wrote (exported to a
# file, its counter is the one the restore goes on from).
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

# Neither side of a FIFO may wait forever for a peer that failed before opening it.
TIMEOUT=300

start_registry plain
start_counter ctr
base_image b >/dev/null

for compression in zstd none; do
    ref=$REG_HOST/stream/ctr:$compression
    fifo_a=$WORK/a-$compression.fifo
    fifo_b=$WORK/b-$compression.fifo
    mkfifo -m 600 "$fifo_a" "$fifo_b"

    timeout "$TIMEOUT" "$CKIMG" build "$fifo_a" --format podman --compression "$compression" \
        --push "$ref" --insecure -q &
    build=$!
    node a podman container checkpoint --leave-running --compress none --export "$fifo_a" ctr \
        >/dev/null || fail "podman checkpoint --export into a FIFO failed ($compression)"
    wait "$build" || fail "ckimg build from Podman's FIFO failed ($compression)"

    # What the image holds: the archive Podman wrote, whose rootfs has the counter's value.
    "$CKIMG" export "$ref" "$WORK/check-$compression.tar" --insecure -q ||
        fail "ckimg export of the streamed image to a file failed ($compression)"
    CK_VALUE=$(archive_value "$WORK/check-$compression.tar")
    [[ $CK_VALUE =~ ^[0-9]+$ ]] || fail "the streamed image's counter [$CK_VALUE] is not a number"
    step "streamed $compression image $ref holds the checkpoint at counter $CK_VALUE"

    timeout "$TIMEOUT" "$CKIMG" export "$ref" "$fifo_b" --config-readers 2 --insecure -q &
    export_pid=$!
    timeout "$TIMEOUT" "$REALENV" --state "$REAL_STATE" --share "$WORK" --node b \
        podman container restore --import "$fifo_b" >/dev/null ||
        fail "podman restore --import from ckimg export's FIFO failed ($compression)"
    wait "$export_pid" || fail "ckimg export into Podman's FIFO failed ($compression)"
    assert_restored b ctr "$CK_VALUE"
    remove_container b ctr
    rm -f "$fifo_a" "$fifo_b"
done
echo "PASS: streamed migration through FIFOs on both nodes (zstd, none)"
