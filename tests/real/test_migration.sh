#!/usr/bin/env bash
# Migration, as a user does it: node a runs a stateful container (a counter in memory, a file
# written, a file of the base image deleted, a named volume); `podman container checkpoint
# --export` in each compression Podman offers; `ckimg build --format podman --push` to a loopback
# registry; node b (another Podman storage) pulls the image and `podman container restore`s it.
# The state must carry over: the counter goes on from its value at the checkpoint (the program is
# not started again), the file is there, the deleted file is gone, the volume holds its data.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
start_counter ctr
base_image b >/dev/null

for compression in zstd gzip none; do
    archive=$WORK/ctr-$compression.tar
    checkpoint_export ctr "$archive" --compress "$compression"
    ref=$REG_HOST/migrate/ctr:$compression
    "$CKIMG" build "$archive" --format podman --push "$ref" --insecure -q ||
        fail "ckimg build --format podman --push of the $compression archive failed"
    node b podman pull -q --tls-verify=false "$ref" >/dev/null
    node b podman container restore "$ref" >/dev/null ||
        fail "podman refused to restore ckimg's image of the $compression archive"
    assert_restored b ctr "$CK_VALUE"
    remove_container b ctr
done
echo "PASS: migration through the registry (zstd, gzip, none)"
