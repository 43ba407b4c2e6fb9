#!/usr/bin/env bash
# What real Podman showed (issue 10): oci:/oci-archive: names split at the first colon as
# containers/image does, full image names in ref.name, the archive Podman's save writes, the
# checkpoint time of a Podman archive, --compression none without a hard link, and export
# giving back the archive a layer is made of, byte for byte. Uses the real Podman 4.3 / CRIU 4.2
# archives of tests/fixtures.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
need skopeo

FIXTURES=$CKIMG_SOURCE_DIR/tests/fixtures/podman-4.3-criu-4.2
FIXTURES5=$CKIMG_SOURCE_DIR/tests/fixtures/podman-5.4-criu-4.1
NONE=$FIXTURES/ck-podman-none.tar
ref_name() { json_get "$1" 'd["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]'; }
load_name() { json_get "$1" 'd["manifests"][0]["annotations"].get("io.containerd.image.name", "")'; }
decompress() { # archive -> the tar on stdout
    case $1 in
    *.zst) zstd -dc "$1" ;;
    *.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
    esac
}

step "oci-archive:FILE:NAME:TAG: the path ends at the first colon"
cd "$WORK"
"$CKIMG" build "$NONE" -o oci-archive:ck.tar:localhost/counter:v1 -q
[[ -f ck.tar ]] || fail "no ck.tar"
[[ -z $(find . -maxdepth 1 -name 'ck.tar:*') ]] || fail "a file named after the reference"
mkdir ck && tar -xf ck.tar -C ck
assert_eq localhost/counter:v1 "$(ref_name ck/index.json)" "ref.name is the full name"
assert_eq localhost/counter:v1 "$(load_name ck/index.json)" "io.containerd.image.name"
skopeo inspect --raw oci-archive:ck.tar:localhost/counter:v1 >/dev/null || fail "skopeo cannot read oci-archive:ck.tar:localhost/counter:v1"
"$CKIMG" inspect oci-archive:ck.tar:localhost/counter:v1 --json >inspect.json
assert_eq ctr1 "$(json_get inspect.json 'd["checkpoint"]["container"]')" "inspect by full name"
"$CKIMG" export oci-archive:ck.tar:localhost/counter:v1 back.tar -q
"$CKIMG" convert oci-archive:ck.tar:localhost/counter:v1 -o oci:conv:localhost/counter:crio --format crio -q
assert_eq localhost/counter:crio "$(ref_name conv/index.json)" "convert -o with a full name"
run_fails 1 'no image tagged "localhost/counter:v2"' "$CKIMG" inspect oci-archive:ck.tar:localhost/counter:v2
"$CKIMG" build "$NONE" -o oci-archive:a.tar:name:v1 -q
[[ -f a.tar && ! -e a.tar:name ]] || fail "oci-archive:a.tar:name:v1 must write a.tar"
mkdir a && tar -xf a.tar -C a
assert_eq name:v1 "$(ref_name a/index.json)" "a name without a registry"

step "a bare tag gets a full name for podman load"
"$CKIMG" build "$NONE" -o oci-archive:bare.tar:v2 -q
mkdir bare && tar -xf bare.tar -C bare
assert_eq v2 "$(ref_name bare/index.json)" "bare tag kept as ref.name (skopeo oci-archive:bare.tar:v2)"
assert_eq localhost/ctr1-checkpoint:v2 "$(load_name bare/index.json)" "derived full name"
skopeo inspect --raw oci-archive:bare.tar:v2 >/dev/null || fail "skopeo cannot read oci-archive:bare.tar:v2"

step "push and pull with full names"
start_registry plain
"$CKIMG" push oci-archive:ck.tar:localhost/counter:v1 "$REG_HOST/team/counter:v1" --insecure -q
"$CKIMG" pull "$REG_HOST/team/counter:v1" -o oci:pulled:localhost/counter:v1 --insecure -q
assert_eq localhost/counter:v1 "$(ref_name pulled/index.json)" "pull -o with a full name"
assert_eq localhost/counter:v1 "$(load_name pulled/index.json)" "pull -o: io.containerd.image.name"
"$CKIMG" pull "$REG_HOST/team/counter:v1" -o oci:pulled-bare --insecure -q
assert_eq v1 "$(ref_name pulled-bare/index.json)" "pull without -o tag: the reference's"
assert_eq "$REG_HOST/team/counter:v1" "$(load_name pulled-bare/index.json)" "pull of a bare tag: named after the registry's repository"
# A full -o name does not leak into the registry: --push's reference says the tag (latest here).
"$CKIMG" build "$NONE" -o oci:pushed:localhost/counter:v7 --push "$REG_HOST/team/counter" --insecure -q
skopeo inspect --raw --tls-verify=false "docker://$REG_HOST/team/counter:latest" >/dev/null || fail "build --push did not push tag latest"
assert_eq localhost/counter:v7 "$(ref_name pushed/index.json)" "build --push -o with a full name"
stop_registry

step "a path with a colon that the old last-colon rule named is refused, not shadowed"
mkdir -p "old:1/layout"
"$CKIMG" build "$NONE" -o oci:old-ok -q
cp -r old-ok/. "old:1/layout/"
run_fails 2 'the path ends at the first colon' "$CKIMG" inspect "oci:$WORK/old:1/layout"
run_fails 2 'the path ends at the first colon' "$CKIMG" build "$NONE" -o "oci:$WORK/old:1/layout"
[[ ! -e $WORK/old ]] || fail "a layout was made at the cut path"

step "what podman save --format oci-archive writes is read (ref.name a full name)"
for native in "$FIXTURES/img-podman-native-ctr2.oci.tar" "$FIXTURES5/img-podman-native-ctr2.oci.tar"; do
    for target in "oci-archive:$native" "oci-archive:$native:localhost/ctr2-podman-ckpt:latest"; do
        "$CKIMG" inspect "$target" --json >native.json
        assert_eq podman "$(json_get native.json 'd["image"]["format"]')" "$target: format"
        assert_eq ctr2 "$(json_get native.json 'd["checkpoint"]["container"]')" "$target: container"
    done
    "$CKIMG" export "oci-archive:$native:localhost/ctr2-podman-ckpt:latest" native.tar -q
    "$CKIMG" validate native.tar --json >native-validate.json
    assert_eq ctr2 "$(json_get native-validate.json 'd["container"]')" "export of Podman's image"
    rm -rf native-crio
    "$CKIMG" convert "oci-archive:$native" -o oci:native-crio --format crio -q
done

step "Podman archives: checkpointed is the CRIU images' time, created the container's"
# archive, checkpointed (the CRIU images' latest time), created (config.dump): see the READMEs.
# The last one's checkpoint time, 03:24:39, is Podman 5's own CheckpointedAt (03:24:39.99) to
# the second.
while read -r archive checkpointed created; do
    "$CKIMG" validate "$archive" --json >v.json
    assert_eq "$checkpointed" "$(json_get v.json 'd["checkpointed"]')" "$archive: checkpointed"
    assert_eq "CRIU image times" "$(json_get v.json 'd["checkpointedFrom"]')" "$archive: source"
    assert_eq "$created" "$(json_get v.json 'd["created"]')" "$archive: created"
done <<LIST
$FIXTURES/ck-podman-none.tar 2026-12-02T00:56:14Z 2026-12-02T00:56:05.02221864Z
$FIXTURES/ck-podman-gzip.tar.gz 2026-12-02T00:56:19Z 2026-12-02T00:56:14.993569901Z
$FIXTURES/ck-podman.tar.zst 2026-12-02T00:55:56Z 2026-12-02T00:55:48.632064309Z
$FIXTURES5/ck-podman-none.tar 2026-12-02T03:24:30Z 2026-12-02T03:24:23.436351314Z
$FIXTURES5/ck-podman.tar.zst 2026-12-02T03:24:39Z 2026-12-02T03:24:23.436351314Z
LIST
"$CKIMG" build "$NONE" --format podman -o oci:times -q --json >times.json
manifest=$(json_get times.json 'd["manifest"]["digest"].split(":")[1]')
config=$(json_get "times/blobs/sha256/$manifest" 'd["config"]["digest"].split(":")[1]')
assert_eq 2026-12-02T00:56:14Z "$(json_get "times/blobs/sha256/$config" 'd["created"]')" "config created = checkpoint time"
"$CKIMG" build "$NONE" --format oci-checkpoint -o oci:times-oc -q --json >times-oc.json
"$CKIMG" inspect oci:times-oc --json >times-oc-inspect.json
assert_eq 2026-12-02T00:56:14Z "$(json_get times-oc-inspect.json 'd["checkpoint"]["checkpointed"]')" "oci-checkpoint records it"

step "--compression none: the layout's blob is no hard link to the archive"
cp "$NONE" mine.tar
"$CKIMG" build mine.tar --compression none -o oci:plain -q --json >plain.json
layer=$(json_get plain.json 'd["layers"][0]["digest"].split(":")[1]')
[[ $(stat -c %i mine.tar) != $(stat -c %i "plain/blobs/sha256/$layer") ]] || fail "the blob is the archive's inode"
# Rewrite the archive in place, as a new checkpoint exported to the same name would.
printf 'X' | dd of=mine.tar bs=1 seek=600 conv=notrunc status=none
assert_eq "$layer" "$(sha256sum "plain/blobs/sha256/$layer" | cut -d' ' -f1)" "the blob still verifies"
"$CKIMG" export oci:plain plain-back.tar -q
cmp -s plain-back.tar "$NONE" || fail "export after the rewrite is not the original archive"

step "export gives back the archive the layer is made of, byte for byte"
# An uncompressed archive comes back byte for byte (the layer is the archive itself); Podman's
# gzip and zstd exports come back as a tar with the same entries (restore --import reads it).
for archive in "$FIXTURES"/ck-podman* "$FIXTURES5"/ck-podman*; do
    decompress "$archive" >original.tar
    for format in podman crio; do
        for compression in gzip zstd none; do
            rm -rf rt
            "$CKIMG" build "$archive" --format "$format" --compression "$compression" -o oci:rt -q
            "$CKIMG" export oci:rt rt.tar -q
            if [[ $archive == *.tar ]]; then
                cmp -s rt.tar original.tar || fail "$archive ($format, $compression): export differs from the archive: $(cmp rt.tar original.tar | head -1)"
                "$CKIMG" export oci:rt - -q | cmp -s - original.tar || fail "$archive ($format, $compression): export to stdout differs"
            else
                # A compressed archive is re-written as a tar by build today (same entries,
                # contents, modes, owners and times), so its export is that tar.
                assert_eq "$(tar -tv --numeric-owner -f original.tar)" "$(tar -tv --numeric-owner -f rt.tar)" "$archive ($format, $compression): entries"
            fi
        done
    done
done
"$CKIMG_GEN" --engine crio --pages-size 1M --compress none -o gen.tar
"$CKIMG" build gen.tar -o oci:gen -q
"$CKIMG" export oci:gen gen-back.tar -q
cmp -s gen.tar gen-back.tar || fail "a CRI-O archive does not come back byte for byte"
