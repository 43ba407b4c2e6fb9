#!/usr/bin/env bash
# Two more ways to node b, each ending in a restore with the container's state:
#  - ckimg build -o oci-archive:FILE:NAME, `podman load` of the file, `podman container restore`;
#  - ckimg build --format oci-checkpoint, ckimg convert to --format podman, ckimg push, podman pull,
#    `podman container restore`.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
start_counter ctr
base_image b >/dev/null
checkpoint_export ctr "$WORK/ctr.tar.zst"

step "oci-archive -> podman load -> restore"
# oci-archive:FILE:NAME as skopeo, Podman and buildah name it (the path ends at the first colon);
# podman load must give the image the name chosen there (io.containerd.image.name).
name=localhost/ctr:v1
"$CKIMG" build "$WORK/ctr.tar.zst" --format podman -o "oci-archive:$WORK/ctr.oci.tar:$name" -q ||
    fail "ckimg build -o oci-archive:FILE:$name failed"
[[ -f $WORK/ctr.oci.tar ]] || fail "build -o oci-archive:FILE:NAME did not write FILE"
loaded=$(node b podman load -q -i "$WORK/ctr.oci.tar") || fail "podman load refused ckimg's oci-archive"
image=${loaded##*Loaded image: }
step "podman load: $image"
[[ $image == "$name" ]] || fail "podman load named the image \"$image\", not $name: $loaded"
node b podman image exists "$name" || fail "podman has no image $name after the load"
node b podman container restore "$image" >/dev/null || fail "podman refused to restore the loaded image $image"
assert_restored b ctr "$CK_VALUE"
remove_container b ctr

step "oci-archive:FILE:TAG (a bare tag) -> podman load names it localhost/<container>-checkpoint:TAG"
"$CKIMG" build "$WORK/ctr.tar.zst" --format podman -o "oci-archive:$WORK/bare.oci.tar:v2" -q ||
    fail "ckimg build -o oci-archive:FILE:v2 failed"
loaded=$(node b podman load -q -i "$WORK/bare.oci.tar") || fail "podman load refused ckimg's oci-archive"
[[ ${loaded##*Loaded image: } == localhost/ctr-checkpoint:v2 ]] ||
    fail "podman load of a bare tag: \"$loaded\", not localhost/ctr-checkpoint:v2"

step "oci-checkpoint -> convert -> podman -> push -> pull -> restore"
"$CKIMG" build "$WORK/ctr.tar.zst" --format oci-checkpoint -o "oci:$WORK/oc:v1" -q || fail "build --format oci-checkpoint failed"
"$CKIMG" convert "oci:$WORK/oc:v1" --format podman -o "oci:$WORK/pod:v1" -q || fail "convert to podman failed"
ref=$REG_HOST/convert/ctr:v1
"$CKIMG" push "oci:$WORK/pod:v1" "$ref" --insecure -q || fail "ckimg push of the converted image failed"
node b podman pull -q --tls-verify=false "$ref" >/dev/null
node b podman container restore "$ref" >/dev/null || fail "podman refused to restore the converted image"
assert_restored b ctr "$CK_VALUE"
echo "PASS: oci-archive (podman load gives the chosen name) and convert oci-checkpoint -> podman restore on another node"
