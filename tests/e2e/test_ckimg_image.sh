#!/usr/bin/env bash
# examples/kubernetes/Containerfile: the ckimg image for the Jobs, built with buildah from a
# Debian 12 root made with debootstrap (no base image can be pulled here), then the Job's
# container as committed in job.yaml, run in that image with the Job's mounts (the checkpoints
# directory at the kubelet's path, the service account's CA and token, the registry Secret),
# against the kubelet TEST DOUBLE (lib/kubelet_double.py): it checkpoints, builds, pushes.
#
# Cost bounded: the Debian root is made once and cached as a tar (CKIMG_IMAGE_CACHE, default
# /var/cache/ckimg-image, keyed by suite and package list), and buildah's storage there keeps the
# layers (--layers): the apt-get steps run once; a change of the sources rebuilds only ckimg.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
source "$(dirname "$0")/lib/kubelet.sh"
[[ $(id -u) == 0 ]] || fail "needs root (debootstrap, buildah's chroot isolation)"
need buildah
need debootstrap

CACHE=${CKIMG_IMAGE_CACHE:-/var/cache/ckimg-image}
SUITE=bookworm
KEY=$(printf '%s\n' 1 "$SUITE" minbase | sha256sum | cut -c1-16)
ROOT_TAR=$CACHE/debian-$SUITE-$KEY.tar
mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock 8 # one build at a time uses the cache (and its buildah storage)
BUILDAH=(buildah --root "$CACHE/storage" --runroot "$WORK/buildah-run" --storage-driver vfs)

step "the Debian $SUITE root (debootstrap, cached in $ROOT_TAR)"
if [[ ! -f $ROOT_TAR ]]; then
    debootstrap --variant=minbase "$SUITE" "$WORK/root" "${CKIMG_REALENV_MIRROR:-http://deb.debian.org/debian}" \
        >"$WORK/debootstrap.log" 2>&1 || fail "debootstrap failed: $(tail -2 "$WORK/debootstrap.log")"
    rm -rf "$WORK/root/var/cache/apt/archives"/*.deb "$WORK/root/var/lib/apt/lists"/*_Packages
    tar --sort=name --numeric-owner -C "$WORK/root" -cf "$ROOT_TAR.tmp" . ||
        fail "cannot archive the Debian root"
    mv "$ROOT_TAR.tmp" "$ROOT_TAR"
    rm -rf "$WORK/root"
fi
BASE=localhost/ckimg-test-debian:$SUITE-$KEY
if ! "${BUILDAH[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    ctr=$("${BUILDAH[@]}" from scratch)
    "${BUILDAH[@]}" add "$ctr" "$ROOT_TAR" / >/dev/null || fail "cannot add the root to the base image"
    "${BUILDAH[@]}" config --cmd /bin/bash "$ctr"
    "${BUILDAH[@]}" commit -q --timestamp 0 --rm "$ctr" "$BASE" >/dev/null || fail "cannot commit the base image"
fi

step "buildah build examples/kubernetes/Containerfile (DEBIAN=$BASE)"
"${BUILDAH[@]}" build -q --isolation chroot --layers --pull=false --timestamp 0 \
    --build-arg DEBIAN="$BASE" -f "$CKIMG_SOURCE_DIR/examples/kubernetes/Containerfile" \
    -t localhost/ckimg:e2e "$CKIMG_SOURCE_DIR" >"$WORK/build.log" 2>&1 ||
    fail "buildah build failed: $(tail -5 "$WORK/build.log")"
ctr=$("${BUILDAH[@]}" from -q --pull=false localhost/ckimg:e2e)
on_exit '"${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1'
version=$("${BUILDAH[@]}" run --isolation chroot "$ctr" -- /usr/local/bin/ckimg --version) ||
    fail "ckimg does not run in the image"
assert_eq "$("$CKIMG" --version)" "$version" "ckimg --version in the image"
entrypoint=$("${BUILDAH[@]}" inspect --type image --format '{{json .OCIv1.Config.Entrypoint}}' localhost/ckimg:e2e)
assert_eq '["/usr/local/bin/ckimg"]' "$entrypoint" "entrypoint"

step "the Job's container, as committed, in the image, against the kubelet double"
start_registry tls-basic
make_archive "$WORK/counter.tar" 1M
start_kubelet_double --pod default/counters/counter --archive "$WORK/counter.tar" \
    --answer-dir /var/lib/kubelet/checkpoints
mkdir -p "$WORK/sa" "$WORK/secret" "$WORK/certs.d/$REG_HOST"
cp "$KUBELET_CA" "$WORK/sa/ca.crt"
cp "$KUBELET_PKI/sa.token" "$WORK/sa/token"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG_HOST" \
    "$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)" >"$WORK/secret/auth.json"
cp "$REG_CA" "$WORK/certs.d/$REG_HOST/ca.crt" # the test registry's CA, where ckimg looks
mapfile -t args < <(sed -n '/^ *args:/,/^ *env:/p' "$CKIMG_SOURCE_DIR/examples/kubernetes/job.yaml" |
    sed -n 's/^ *- //p')
mapped=()
for arg in "${args[@]}"; do
    case $arg in
    'https://$(HOST_IP):10250') arg=$KUBELET_URL ;; # the kubelet expands $(HOST_IP); its port here
    registry.example.com/ckpt/counter:v1) arg=$REG_HOST/ckpt/counter:v1 ;;
    esac
    mapped+=("$arg")
done
# The Job's volumes, at the Job's paths (tmp: an emptyDir).
"${BUILDAH[@]}" run --isolation chroot \
    --volume "$KUBELET_DIR:/var/lib/kubelet/checkpoints:ro" \
    --volume "$WORK/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
    --volume "$WORK/secret:/etc/ckimg/registry:ro" \
    --volume "$WORK/certs.d:/etc/containers/certs.d:ro" \
    "$ctr" -- /usr/local/bin/ckimg "${mapped[@]}" >"$WORK/job.out" 2>"$WORK/job.err" ||
    fail "the Job's command failed in the image: $(cat "$WORK/job.err")"
assert_eq "$(json_get "$WORK/job.out" 'd["digest"]')" "$(reg_manifest_digest ckpt/counter v1)" \
    "the Job's image in the registry"
grep -q '"auth": "token", "user": "system:serviceaccount:ckimg:ckimg"' "$KUBELET_LOG" ||
    fail "the Job did not authenticate with the mounted service account token"
assert_no_kubelet_secret "$WORK/job.out" "$WORK/job.err"
assert_no_secret "$WORK/job.out" "$WORK/job.err"

echo "test_ckimg_image: ok" >&2
