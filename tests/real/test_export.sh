#!/usr/bin/env bash
# ckimg export, from an image in each format ckimg writes (crio, podman, oci-checkpoint), gives back
# a checkpoint archive that Podman restores on another node (`podman container restore --import`)
# with the container's state: counter, written and deleted files, volume.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"

start_counter ctr
base_image b >/dev/null
checkpoint_export ctr "$WORK/ctr.tar.zst"

for format in crio podman oci-checkpoint; do
    "$CKIMG" build "$WORK/ctr.tar.zst" --format "$format" -o "oci:$WORK/layout:$format" -q ||
        fail "ckimg build --format $format failed"
    back=$WORK/back-$format.tar
    "$CKIMG" export "oci:$WORK/layout:$format" "$back" -q || fail "ckimg export of the $format image failed"
    node b podman container restore --import "$back" >/dev/null ||
        fail "podman refused to restore what ckimg export gave back from the $format image"
    assert_restored b ctr "$CK_VALUE"
    remove_container b ctr
done
echo "PASS: export from crio, podman and oci-checkpoint images restores on another node"
