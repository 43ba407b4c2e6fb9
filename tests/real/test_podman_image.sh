#!/usr/bin/env bash
# Podman's own checkpoint image (`podman container checkpoint --create-image`, pushed to a
# loopback registry) read by ckimg: inspect names the container and Podman as its engine; export
# gives back an archive that `podman container restore --import` restores on node b with the
# state; convert to ckimg's podman format gives an image node b pulls and restores with the state.
source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"

start_registry plain
start_counter ctr
base_image b >/dev/null
node a podman container checkpoint --leave-running --create-image localhost/ctr-ckpt:v1 ctr >/dev/null
podman_ref=$REG_HOST/podman/ctr-ckpt:v1
node a podman push -q --tls-verify=false localhost/ctr-ckpt:v1 "$podman_ref"

step "inspect"
"$CKIMG" inspect "$podman_ref" --insecure --json >"$WORK/inspect.json" || fail "ckimg inspect of Podman's image failed"
assert_eq "image" "$(json_get "$WORK/inspect.json" 'd["type"]')" "what ckimg inspect saw"
assert_eq "Podman" "$(json_get "$WORK/inspect.json" 'd["checkpoint"]["engine"]')" "engine of Podman's image"
assert_eq "ctr" "$(json_get "$WORK/inspect.json" 'd["checkpoint"]["container"]')" "container of Podman's image"
assert_eq "localhost/realenv-base:latest" "$(json_get "$WORK/inspect.json" 'd["checkpoint"]["image"]')" \
    "rootfs image of Podman's image"

step "export -> restore --import"
"$CKIMG" export "$podman_ref" "$WORK/back.tar" --insecure -q || fail "ckimg export of Podman's image failed"
CK_VALUE=$(archive_value "$WORK/back.tar")
((CK_VALUE >= 5)) || fail "the exported archive's counter is $CK_VALUE, the container was past 5"
node b podman container restore --import "$WORK/back.tar" >/dev/null ||
    fail "podman refused to restore what ckimg exported from Podman's image"
assert_restored b ctr "$CK_VALUE"
remove_container b ctr

step "convert -> push -> pull -> restore"
"$CKIMG" convert "$podman_ref" --insecure --format podman -o "oci:$WORK/conv:v1" -q || fail "ckimg convert of Podman's image failed"
ref=$REG_HOST/converted/ctr:v1
"$CKIMG" push "oci:$WORK/conv:v1" "$ref" --insecure -q || fail "ckimg push of the converted image failed"
node b podman pull -q --tls-verify=false "$ref" >/dev/null
node b podman container restore "$ref" >/dev/null || fail "podman refused to restore the converted image"
assert_restored b ctr "$CK_VALUE"
echo "PASS: Podman's --create-image image: inspect, export (restored), convert (restored)"
