#!/usr/bin/env bash
# examples/kubernetes/Containerfile: the ckimg image the Jobs run, built with buildah from a
# Debian 12 root made with debootstrap (no base image can be pulled here), then checked:
#   - its ckimg is this tree's (--version), the entrypoint is ckimg, the image holds no compiler;
#   - a real `ckimg build` in the image (buildah run) of a ckimg-gen archive gives an OCI layout
#     that skopeo inspects, whose layer is the one the host's ckimg builds from the same archive;
#   - the check can fail: the same image with libisal.so.2 removed must not run ckimg;
#   - reproducibility: a second build without the layer cache (--layers --no-cache: every step
#     redone, apt-get, the compile, the copies, the commits) gives the same image (config and
#     manifest digest). The ccache cache mount is meant to serve the second compile; with
#     buildah 1.28 here it did not (the compile took 221 s again), so the check compares two real
#     compiles. CKIMG_IMAGE_FULL_REBUILD=1 disables ccache for it outright (CCACHE_DISABLE=1).
#
# Cost on a fresh 2-core machine: debootstrap (about a minute), then two builds of about four
# minutes each, nearly all of it the compile. The Debian root is cached as a tar
# (CKIMG_IMAGE_CACHE, default /var/cache/ckimg-image), with buildah's storage and its cache mounts
# there too; a rerun with the layer cache warm takes the second build's time only. Needs root
# and Debian's archive.
# shellcheck source-path=SCRIPTDIR
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/common.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"
[[ $(id -u) == 0 ]] || skip "needs root (debootstrap, buildah's chroot isolation)"
need buildah
need debootstrap
need skopeo

IMAGE_VERSION=1 # bump to remake the cached root
SUITE=bookworm
VARIANT=minbase
MIRROR=${CKIMG_IMAGE_MIRROR:-${CKIMG_REALENV_MIRROR:-http://deb.debian.org/debian}}
CACHE=${CKIMG_IMAGE_CACHE:-/var/cache/ckimg-image}
KEY=$(printf '%s\n' "$IMAGE_VERSION" "$SUITE" "$VARIANT" "" | sha256sum | cut -c1-16)
ROOT_TAR=$CACHE/debian-$SUITE-$KEY.tar
CONTAINERFILE=$CKIMG_SOURCE_DIR/examples/kubernetes/Containerfile
mkdir -p "$CACHE/tmp" "$DOCKER_CONFIG"
[[ -f $DOCKER_CONFIG/config.json ]] || echo "{}" >"$DOCKER_CONFIG/config.json" # buildah stats it
exec 8>"$CACHE/.lock"
flock 8 # one test at a time uses the cache and its buildah storage
export TMPDIR=$CACHE/tmp # buildah keeps its cache mounts under TMPDIR
driver=vfs
grep -qw overlay /proc/filesystems && driver=overlay
BUILDAH=(buildah --root "$CACHE/storage-$driver" --runroot "$WORK/buildah-run" --storage-driver "$driver")
# shellcheck disable=SC2016 # expanded when the hook runs
on_exit '"${BUILDAH[@]}" rm --all >/dev/null 2>&1'
start_s=$SECONDS

step "the Debian $SUITE root (debootstrap --variant=$VARIANT, cached in $ROOT_TAR)"
if [[ ! -f $ROOT_TAR ]]; then
    debootstrap --variant="$VARIANT" "$SUITE" "$WORK/root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
        fail "debootstrap failed: $(tail -2 "$WORK/debootstrap.log")"
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
    local tag=$1 t0=$SECONDS log=$WORK/build-${1##*:}.log
    shift
    "${BUILDAH[@]}" build --isolation chroot --pull=false --timestamp 0 \
        --build-arg DEBIAN="$BASE" -f "$CONTAINERFILE" -t "$tag" "$@" "$CKIMG_SOURCE_DIR" 2>&1 |
        while IFS= read -r line; do printf '+%ss %s\n' "$((SECONDS - t0))" "$line"; done >"$log" ||
        { cp "$log" "$CACHE/failed-build.log"; fail "buildah build failed (log in $CACHE/failed-build.log): $(tail -5 "$log")"; }
    # Each step's start, seconds after the build's (the whole log stays in $WORK until the end).
    grep -E '^\+[0-9]+s (\[[0-9]/[0-9]\] )?STEP|COMMIT' "$log" | cut -c1-110 >&2
    echo "buildah build $tag: $((SECONDS - t0)) s" >&2
}
image_id() { "${BUILDAH[@]}" inspect --type image --format '{{.FromImageID}}' "$1"; }
image_digest() { "${BUILDAH[@]}" inspect --type image --format '{{.FromImageDigest}}' "$1"; }

step "buildah build examples/kubernetes/Containerfile (DEBIAN=$BASE)"
image_build localhost/ckimg:e2e --layers
IMG=localhost/ckimg:e2e
ctr=$("${BUILDAH[@]}" from -q --pull=false "$IMG")
version=$("${BUILDAH[@]}" run --isolation chroot "$ctr" -- /usr/local/bin/ckimg --version) ||
    fail "ckimg does not run in the image"
assert_eq "$("$CKIMG" --version)" "$version" "ckimg --version in the image"
# (buildah 1.28's templates have no json function: Go's rendering of a []string)
entrypoint=$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$IMG")
assert_eq '[/usr/local/bin/ckimg]' "$entrypoint" "entrypoint"
created=$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Created}}' "$IMG")
assert_contains "$created" "1970-01-01" "creation time (--timestamp 0)"
mnt=$("${BUILDAH[@]}" mount "$ctr")
for absent in usr/bin/g++ usr/bin/cmake usr/bin/ccache usr/include/curl src build ccache; do
    [[ ! -e $mnt/$absent ]] || fail "the runtime image holds /$absent"
done
[[ -z $(ls -A "$mnt/var/lib/apt/lists" 2>/dev/null) ]] || fail "the runtime image holds apt's lists"
[[ -z $(ls "$mnt/var/cache/apt/archives"/*.deb 2>/dev/null) ]] || fail "the runtime image holds .debs"

step "a real ckimg build in the image, checked with skopeo"
mkdir -p "$WORK/in"
make_archive "$WORK/in/counter.tar" 1M
mkdir -p "$WORK/out"
"${BUILDAH[@]}" run --isolation chroot --volume "$WORK/in:/in:ro" --volume "$WORK/out:/out" \
    "$ctr" -- /usr/local/bin/ckimg build /in/counter.tar -o oci:/out/layout:v1 --json \
    >"$WORK/image-build.json" 2>"$WORK/image-build.err" ||
    fail "ckimg build failed in the image: $(cat "$WORK/image-build.err")"
# (not --raw: the layout's root is an index, which skopeo resolves to the image's manifest)
skopeo inspect "oci:$WORK/out/layout:v1" >"$WORK/manifest.json" ||
    fail "skopeo cannot read the image's layout"
assert_eq "$(json_get "$WORK/image-build.json" 'd["layers"][0]["digest"]')" \
    "$(json_get "$WORK/manifest.json" 'd["Layers"][0]')" "layer in the layout skopeo reads"
"$CKIMG" build "$WORK/in/counter.tar" -o "oci:$WORK/host:v1" --json >"$WORK/host.json" ||
    fail "the host's ckimg build failed"
assert_eq "$(json_get "$WORK/host.json" 'd["layers"][0]["digest"]')" \
    "$(json_get "$WORK/image-build.json" 'd["layers"][0]["digest"]')" "layer of the image's ckimg and the host's"

step "a broken image is caught: without libisal.so.2 ckimg must not run"
lib=$(find "$mnt/usr/lib" -name 'libisal.so.2*' | head -1)
[[ -n $lib ]] || fail "no libisal.so.2 in the image"
broken=$("${BUILDAH[@]}" from -q --pull=false "$IMG")
bmnt=$("${BUILDAH[@]}" mount "$broken")
find "$bmnt/usr/lib" -name 'libisal.so.2*' -delete
if "${BUILDAH[@]}" run --isolation chroot "$broken" -- /usr/local/bin/ckimg --version >/dev/null 2>&1; then
    fail "ckimg ran without libisal.so.2: the check cannot fail"
fi
"${BUILDAH[@]}" umount "$ctr" "$broken" >/dev/null

step "reproducible: a second build without the layer cache gives the same image"
first_id=$(image_id "$IMG")
first_digest=$(image_digest "$IMG")
if [[ ${CKIMG_IMAGE_FULL_REBUILD:-0} == 1 ]]; then
    image_build localhost/ckimg:again --layers --no-cache --build-arg CCACHE_DISABLE=1
else
    # --layers as the first build (one layer per step, as it made them), every step redone
    image_build localhost/ckimg:again --layers --no-cache
fi
assert_eq "$first_id" "$(image_id localhost/ckimg:again)" "image (config) ID of a second build"
assert_eq "$first_digest" "$(image_digest localhost/ckimg:again)" "manifest digest of a second build"
"${BUILDAH[@]}" rmi localhost/ckimg:again >/dev/null 2>&1 || true
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true # older builds' layers
echo "test_ckimg_image: ok after $((SECONDS - start_s)) s" >&2
