#!/usr/bin/env bash
# The CRIU images tools/gen writes, checked by CRIU's own decoder (pycriu, what `crit decode`
# runs; Debian 12's criu package, see tools/install-deps): every image decodes, and pstree, core,
# mm, pagemap and the pages files agree. The real images of CRIU 4.2 and 4.1 (Podman 4.3, 5.4) in
# tests/fixtures pass the same check, and a broken image must fail it.
source "$(dirname "$0")/lib/common.sh"

CHECK=("/usr/bin/python3" "$CKIMG_SOURCE_DIR/tests/e2e/lib/criu_images_check.py")
FIXTURES=$CKIMG_SOURCE_DIR/tests/fixtures/podman-4.3-criu-4.2
FIXTURES5=$CKIMG_SOURCE_DIR/tests/fixtures/podman-5.4-criu-4.1
/usr/bin/python3 -c 'import pycriu' 2>/dev/null || fail "pycriu (crit) is not installed: run tools/install-deps"

unpack() { # archive dir
    mkdir -p "$2"
    tar -xf "$1" -C "$2" || fail "cannot unpack $1"
}

step "the real CRIU 4.2 and 4.1 images pass the check"
n=0
for archive in "$FIXTURES"/ck-podman* "$FIXTURES5"/ck-podman*; do
    n=$((n + 1))
    unpack "$archive" "$WORK/real-$n"
    # Podman's checkpoint -R leaves the images of processes gone since an earlier dump.
    "${CHECK[@]}" --allow-stale "$WORK/real-$n/checkpoint" "$WORK/real-$n/stats-dump" >&2 || fail "real $archive fails the check"
done

step "every image tools/gen writes decodes and agrees with the others"
for engine in crio containerd podman; do
    for arch in amd64 arm64 s390x; do
        for pages in 0 64K 3M; do
            name=$engine-$arch-$pages
            "$CKIMG_GEN" --engine "$engine" --arch "$arch" --pages-size "$pages" --compress none \
                --seed 7 -o "$WORK/$name.tar" || fail "ckimg-gen $name"
            unpack "$WORK/$name.tar" "$WORK/$name"
            stats=()
            [[ -f $WORK/$name/stats-dump ]] && stats=("$WORK/$name/stats-dump")
            "${CHECK[@]}" "$WORK/$name/checkpoint" "${stats[@]}" >&2 || fail "$name: the generator's CRIU images fail crit"
        done
    done
done

step "the check fails on a broken image"
good=$WORK/podman-amd64-3M/checkpoint
broken() { # what; mutation run in a copy of $good
    rm -rf "$WORK/broken" && cp -r "$good" "$WORK/broken"
    (cd "$WORK/broken" && eval "$2")
    if "${CHECK[@]}" "$WORK/broken" 2>"$WORK/broken.err"; then
        fail "the check passes $1"
    fi
    echo "refused $1: $(cat "$WORK/broken.err")" >&2
}
broken "a cut record" 'head -c -1 pstree.img > x && mv x pstree.img'
broken "a pages file of the wrong size" 'head -c 4096 /dev/zero >> pages-1.img'
broken "a process without its mm image" 'rm mm-1.img'
broken "an image of a pid pstree does not list" 'cp core-1.img core-9.img'
broken "a core record under the pstree magic" 'head -c 8 pstree.img > x && tail -c +9 core-1.img >> x && mv x pstree.img'
