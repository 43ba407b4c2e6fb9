#!/usr/bin/env bash
# WIP (not yet run to the end): named wip_* so that tests/CMakeLists.txt does not glob it. Rename to
# test_ckimg_image.sh (label real) and give it TIMEOUT 2400 once it passes.
# examples/kubernetes/Containerfile: the ckimg image the Jobs run, built with buildah from a
# Debian 12 root made with debootstrap (no base image can be pulled here), then checked:
#   - its ckimg is this tree's (--version), the entrypoint is ckimg, the image holds no compiler;
#   - the Job's container as committed in examples/kubernetes/job.yaml, run in the image with
#     the Job's mounts (the checkpoints directory at the kubelet's path, the service account's CA
#     and token at their default paths, the registry Secret), against the kubelet TEST DOUBLE
#     (tests/e2e/lib/kubelet_double.py): it checkpoints, builds and pushes with the mounted token,
#     and its layer is the one the host's ckimg builds from the same archive;
#   - reproducibility: a second build of the runtime stage from the same binary, without cache,
#     gives the same image digest (--timestamp 0; set CKIMG_IMAGE_FULL_REBUILD=1 to rebuild the
#     whole image, compile included, without cache: ~2x the time).
#
# Cost bounded (CI: a fresh machine pays debootstrap, the build stage's apt-get and one compile):
# the Debian root is made once and cached as a tar (CKIMG_IMAGE_CACHE, default
# /var/cache/ckimg-image, keyed on the suite, variant and package list), buildah's storage
# there keeps the layers (--layers), so a rerun with unchanged sources builds nothing and a
# change of the sources recompiles only ckimg. Label "real" (release suite only, not under ASan:
# it tests the image, not ckimg's memory). Needs root (debootstrap, buildah's chroot isolation)
# and Debian's archive (debootstrap, and the Containerfile's apt-get).
# shellcheck source-path=SCRIPTDIR
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/common.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/kubelet.sh"
[[ $(id -u) == 0 ]] || skip "needs root (debootstrap, buildah's chroot isolation)"
need buildah
need debootstrap

IMAGE_VERSION=1 # bump to remake the cached root
SUITE=bookworm
VARIANT=minbase
PACKAGES= # debootstrap --include (none: the Containerfile installs what each stage needs)
MIRROR=${CKIMG_IMAGE_MIRROR:-${CKIMG_REALENV_MIRROR:-http://deb.debian.org/debian}}
CACHE=${CKIMG_IMAGE_CACHE:-/var/cache/ckimg-image}
KEY=$(printf '%s\n' "$IMAGE_VERSION" "$SUITE" "$VARIANT" "$PACKAGES" | sha256sum | cut -c1-16)
ROOT_TAR=$CACHE/debian-$SUITE-$KEY.tar
CONTAINERFILE=$CKIMG_SOURCE_DIR/examples/kubernetes/Containerfile
mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock 8 # one test at a time uses the cache and its buildah storage
# overlay where the kernel has it (each vfs layer is a full copy of the tree below it).
driver=vfs
grep -qw overlay /proc/filesystems && driver=overlay
BUILDAH=(buildah --root "$CACHE/storage-$driver" --runroot "$WORK/buildah-run" --storage-driver "$driver")
# shellcheck disable=SC2016 # expanded when the hook runs
on_exit '"${BUILDAH[@]}" rm --all >/dev/null 2>&1'
start_s=$SECONDS

step "the Debian $SUITE root (debootstrap --variant=$VARIANT, cached in $ROOT_TAR)"
if [[ ! -f $ROOT_TAR ]]; then
    debootstrap --variant="$VARIANT" ${PACKAGES:+--include="$PACKAGES"} "$SUITE" "$WORK/root" \
        "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
        fail "debootstrap failed: $(tail -2 "$WORK/debootstrap.log")"
    # Nothing of the making (downloaded packages, package lists, logs) goes into the image.
    rm -rf "$WORK/root/var/cache/apt/archives"/*.deb "$WORK/root/var/lib/apt/lists"/* \
        "$WORK/root/var/log"/* "$WORK/root/var/cache/ldconfig/aux-cache"
    tar --sort=name --numeric-owner --mtime=@0 -C "$WORK/root" -cf "$ROOT_TAR.tmp" . ||
        fail "cannot archive the Debian root"
    mv "$ROOT_TAR.tmp" "$ROOT_TAR"
    rm -rf "$WORK/root"
fi
BASE=localhost/ckimg-test-debian:$SUITE-$KEY
if ! "${BUILDAH[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    ctr=$("${BUILDAH[@]}" from scratch)
    "${BUILDAH[@]}" add "$ctr" "$ROOT_TAR" / >/dev/null || fail "cannot add the root to the base image"
    "${BUILDAH[@]}" config --cmd /bin/bash "$ctr"
    "${BUILDAH[@]}" commit -q --timestamp 0 --rm "$ctr" "$BASE" >/dev/null ||
        fail "cannot commit the base image"
fi
echo "base image ready after $((SECONDS - start_s)) s" >&2

# image_build TAG [buildah build args]: the Containerfile, as its header says, on $BASE.
image_build() {
    local tag=$1
    shift
    "${BUILDAH[@]}" build -q --isolation chroot --pull=false --timestamp 0 \
        --build-arg DEBIAN="$BASE" -f "$CONTAINERFILE" -t "$tag" "$@" "$CKIMG_SOURCE_DIR" \
        >"$WORK/build-${tag##*:}.log" 2>&1 ||
        fail "buildah build failed: $(tail -5 "$WORK/build-${tag##*:}.log")"
}
image_digest() { "${BUILDAH[@]}" inspect --type image --format '{{.FromImageDigest}}' "$1"; }

step "buildah build examples/kubernetes/Containerfile (DEBIAN=$BASE)"
image_build localhost/ckimg:e2e --layers
echo "image built after $((SECONDS - start_s)) s" >&2
ctr=$("${BUILDAH[@]}" from -q --pull=false localhost/ckimg:e2e)
version=$("${BUILDAH[@]}" run --isolation chroot "$ctr" -- /usr/local/bin/ckimg --version) ||
    fail "ckimg does not run in the image"
assert_eq "$("$CKIMG" --version)" "$version" "ckimg --version in the image"
entrypoint=$("${BUILDAH[@]}" inspect --type image --format '{{json .OCIv1.Config.Entrypoint}}' localhost/ckimg:e2e)
assert_eq '["/usr/local/bin/ckimg"]' "$entrypoint" "entrypoint"
created=$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Created}}' localhost/ckimg:e2e)
assert_contains "$created" "1970-01-01" "creation time (--timestamp 0)"
mnt=$("${BUILDAH[@]}" mount "$ctr")
for absent in usr/bin/g++ usr/bin/cmake usr/include/curl src build var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease; do
    [[ ! -e $mnt/$absent ]] || fail "the runtime image holds /$absent"
done
"${BUILDAH[@]}" umount "$ctr" >/dev/null

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
[[ ${args[0]} == checkpoint ]] || fail "job.yaml's args are not a ckimg checkpoint: ${args[*]}"
mapped=()
for arg in "${args[@]}"; do
    # shellcheck disable=SC2016 # the Job's text, literally
    case $arg in
    'https://$(HOST_IP):10250') arg=$KUBELET_URL ;; # the kubelet expands $(HOST_IP); its port here
    registry.example.com/ckpt/counter:v1) arg=$REG_HOST/ckpt/counter:v1 ;;
    esac
    mapped+=("$arg")
done
# The Job's volumes, at the Job's paths (tmp: an emptyDir). No --token-file: the mounted
# service account token at its default path is what authenticates.
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
"$CKIMG" build "$WORK/counter.tar" -o "oci:$WORK/host:latest" --json >"$WORK/host.json" ||
    fail "the host's ckimg build failed"
assert_eq "$(json_get "$WORK/host.json" 'd["layers"][0]["digest"]')" \
    "$(json_get "$WORK/job.out" 'd["layers"][0]["digest"]')" "layer of the image's ckimg and the host's"
assert_no_kubelet_secret "$WORK/job.out" "$WORK/job.err"
assert_no_secret "$WORK/job.out" "$WORK/job.err"

step "reproducible: the same sources give the same image digest"
first=$(image_digest localhost/ckimg:e2e)
if [[ ${CKIMG_IMAGE_FULL_REBUILD:-0} == 1 ]]; then
    image_build localhost/ckimg:again --no-cache # compile included
else
    # The build stage (the compile) from the layer cache; the runtime stage anew: apt-get, the
    # copy of the binary and the commit are what could bring times, logs or caches in.
    image_build localhost/ckimg:again --layers --build-arg CKIMG_RUNTIME_CACHE_BUST="$RANDOM$RANDOM"
fi
assert_eq "$first" "$(image_digest localhost/ckimg:again)" "image digest of a second build"
"${BUILDAH[@]}" rmi localhost/ckimg:again >/dev/null 2>&1 || true
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true # older builds' layers
echo "test_ckimg_image: ok after $((SECONDS - start_s)) s" >&2
