#!/usr/bin/env bash
# ckimg build end to end: archives of the three engines (plain, gzip, zstd, stdin), the image it
# writes (annotations, config, layer), destinations (layout, several tags, oci-archive, default
# name), the options, reproducibility and the command-line contract (exit codes, --json, help).
source "$(dirname "$0")/lib/common.sh"

gen() { "$CKIMG_GEN" "$@"; }
build_json() { "$CKIMG" build "$@" --json; }

step "the three engines: names come from spec.dump, annotations on manifest and index"
for engine in crio containerd podman; do
    compress=none
    [[ $engine == podman ]] && compress=zstd
    gen --engine "$engine" --container web --pod shop --namespace prod --compress "$compress" \
        --pages-size 3M -o "$WORK/$engine.tar" --manifest-file "$WORK/$engine.gen.json"
    build_json "$WORK/$engine.tar" -o "oci:$WORK/$engine:latest" >"$WORK/$engine.build.json"
    dir=$WORK/$engine
    index=$(json_get "$dir/index.json" 'd["manifests"][0]["digest"].split(":")[1]')
    assert_eq "$index" "$(json_get "$WORK/$engine.build.json" 'd["digest"].split(":")[1]')" "$engine: digest reported"
    manifest=$(json_get "$dir/blobs/sha256/$index" 'd["manifests"][0]["digest"].split(":")[1]')
    for doc in "$dir/blobs/sha256/$index" "$dir/blobs/sha256/$manifest"; do
        assert_eq web "$(json_get "$doc" 'd["annotations"]["io.kubernetes.cri-o.annotations.checkpoint.name"]')" "$engine: CRI-O name"
        assert_eq web "$(json_get "$doc" 'd["annotations"]["org.criu.checkpoint.container.name"]')" "$engine: criu name"
    done
    expected_engine=$(case $engine in crio) echo CRI-O ;; containerd) echo containerd ;; podman) echo Podman ;; esac)
    assert_eq "$expected_engine" "$(json_get "$dir/blobs/sha256/$manifest" 'd["annotations"]["org.criu.checkpoint.engine.name"]')" "$engine: engine"
    if [[ $engine != podman ]]; then
        assert_eq shop "$(json_get "$dir/blobs/sha256/$manifest" 'd["annotations"]["org.criu.checkpoint.pod.name"]')" "$engine: pod"
        assert_eq prod "$(json_get "$dir/blobs/sha256/$manifest" 'd["annotations"]["org.criu.checkpoint.pod.namespace"]')" "$engine: namespace"
    fi
    config=$(json_get "$dir/blobs/sha256/$manifest" 'd["config"]["digest"].split(":")[1]')
    assert_eq amd64 "$(json_get "$dir/blobs/sha256/$config" 'd["architecture"]')" "$engine: architecture"
    assert_eq 1 "$(json_get "$dir/blobs/sha256/$config" 'len(d["rootfs"]["diff_ids"])')" "$engine: one layer"
    assert_eq application/vnd.oci.image.layer.v1.tar+gzip \
        "$(json_get "$WORK/$engine.build.json" 'd["layers"][0]["mediaType"]')" "$engine: default compression"
    # The layer holds the archive's entries at its root, without ./, with their modes.
    layer=$(json_get "$WORK/$engine.build.json" 'd["layers"][0]["digest"].split(":")[1]')
    tar -tvzf "$dir/blobs/sha256/$layer" >"$WORK/$engine.layer.txt"
    grep -qE '^-rw------- 0/0 +[0-9]+ .* config.dump$' "$WORK/$engine.layer.txt" || fail "$engine: config.dump not at the layer root with mode 0600"
    grep -q ' checkpoint/pages-1.img$' "$WORK/$engine.layer.txt" || fail "$engine: pages missing"
    ! grep -q ' \./' "$WORK/$engine.layer.txt" || fail "$engine: ./ prefix kept"
    # The layer's digest and diff_id are right.
    assert_eq "$layer" "$(sha256sum "$dir/blobs/sha256/$layer" | cut -d' ' -f1)" "$engine: layer digest"
    assert_eq "$(json_get "$dir/blobs/sha256/$config" 'd["rootfs"]["diff_ids"][0]')" \
        "sha256:$(gzip -dc "$dir/blobs/sha256/$layer" | sha256sum | cut -d' ' -f1)" "$engine: diff_id"
done

step "validate reports what the archive holds, writing nothing"
"$CKIMG" validate "$WORK/crio.tar" --json >"$WORK/validate.json"
assert_eq web "$(json_get "$WORK/validate.json" 'd["container"]')" "validate container"
assert_eq CRI-O "$(json_get "$WORK/validate.json" 'd["engine"]')" "validate engine"
assert_eq $((3 << 20)) "$(json_get "$WORK/validate.json" 'd["memoryPagesSize"]')" "validate pages size"
"$CKIMG" validate "$WORK/podman.tar" 2>"$WORK/validate.txt"
grep -q "valid Podman checkpoint" "$WORK/validate.txt" || fail "validate text: $(cat "$WORK/validate.txt")"

step "gzip, zstd and plain archives and standard input give the same image"
gzip -c "$WORK/crio.tar" >"$WORK/crio.tar.gz"
zstd -q -c "$WORK/crio.tar" >"$WORK/crio.tar.zst"
cp "$WORK/crio.tar.zst" "$WORK/misnamed.tar" # detection is by content
want=$(json_get "$WORK/crio.build.json" 'd["digest"]')
for input in crio.tar.gz crio.tar.zst misnamed.tar; do
    assert_eq "$want" "$(build_json "$WORK/$input" -o "oci:$WORK/from-$input" | json_get - 'd["digest"]')" "digest from $input"
done
assert_eq "$want" "$(build_json - -o "oci:$WORK/from-stdin" <"$WORK/crio.tar" | json_get - 'd["digest"]')" "digest from stdin"

step "a FIFO whose writer is done before the build gets far (as Podman's export of a small container)"
# The whole archive fits in the pipe, so the writer closes its end at once. A FIFO is not a file
# to open again (as a regular archive is for its passthrough layer): a second open would wait
# for a writer that is gone. The same image as from the file, but its layer re-read from the
# stream.
gen --engine crio --pages-size 4K -o "$WORK/small.tar"
(($(stat -c %s "$WORK/small.tar") < 65536)) || fail "small.tar does not fit in a pipe"
"$CKIMG" build "$WORK/small.tar" -o "oci:$WORK/small-file" --json >"$WORK/small-file.json"
mkfifo "$WORK/small.fifo"
timeout 60 "$CKIMG" build "$WORK/small.fifo" -o "oci:$WORK/small-fifo" --json >"$WORK/small-fifo.json" &
fifo_build=$!
cat "$WORK/small.tar" >"$WORK/small.fifo"
wait "$fifo_build" || fail "ckimg build from a FIFO whose writer had finished failed or hung"
assert_eq "$(json_get "$WORK/small-file.json" 'd["digest"]')" \
    "$(json_get "$WORK/small-fifo.json" 'd["digest"]')" "digest from a finished FIFO"

step "reproducible: two builds give byte-identical layouts"
"$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/again:latest" -q
diff -r "$WORK/crio" "$WORK/again" || fail "two builds of one archive differ"
SOURCE_DATE_EPOCH=1700000000 build_json "$WORK/crio.tar" -o "oci:$WORK/sde" >"$WORK/sde.json"
assert_eq 2023-11-14T22:13:20Z "$(json_get "$WORK/sde.json" 'd["annotations"]["org.opencontainers.image.created"]')" "SOURCE_DATE_EPOCH"
build_json "$WORK/crio.tar" -o "oci:$WORK/created" --created 2026-01-02T03:04:05Z >"$WORK/created.json"
assert_eq 2026-01-02T03:04:05Z "$(json_get "$WORK/created.json" 'd["annotations"]["org.opencontainers.image.created"]')" "--created"
checkpointed=$(json_get "$WORK/crio.gen.json" 'd.get("checkpointedTime", "")')
if [[ -n $checkpointed ]]; then
    assert_eq "$checkpointed" "$(json_get "$WORK/crio.build.json" 'd["annotations"]["org.opencontainers.image.created"]')" "created from checkpointedTime"
fi

step "options: compression, level, annotations, labels, platform"
build_json "$WORK/crio.tar" -o "oci:$WORK/opts:v2" --compression zstd --level 5 \
    --annotation org.example.team=storage --annotation io.kubernetes.cri-o.annotations.checkpoint.name=override \
    --label org.example.label=yes --platform linux/arm64/v8 >"$WORK/opts.json"
assert_eq application/vnd.oci.image.layer.v1.tar+zstd "$(json_get "$WORK/opts.json" 'd["layers"][0]["mediaType"]')" "zstd media type"
assert_eq storage "$(json_get "$WORK/opts.json" 'd["annotations"]["org.example.team"]')" "--annotation adds"
assert_eq override "$(json_get "$WORK/opts.json" 'd["annotations"]["io.kubernetes.cri-o.annotations.checkpoint.name"]')" "--annotation overrides"
layer=$(json_get "$WORK/opts.json" 'd["layers"][0]["digest"].split(":")[1]')
zstd -q -t "$WORK/opts/blobs/sha256/$layer" || fail "zstd layer does not decompress"
manifest=$(json_get "$WORK/opts.json" 'd["manifest"]["digest"].split(":")[1]')
config=$(json_get "$WORK/opts/blobs/sha256/$manifest" 'd["config"]["digest"].split(":")[1]')
assert_eq arm64/v8 "$(json_get "$WORK/opts/blobs/sha256/$config" 'd["architecture"]+"/"+d["variant"]')" "--platform"
assert_eq yes "$(json_get "$WORK/opts/blobs/sha256/$config" 'd["config"]["Labels"]["org.example.label"]')" "--label"
build_json "$WORK/crio.tar" -o "oci:$WORK/plain" --compression none >"$WORK/plain.json"
layer=$(json_get "$WORK/plain.json" 'd["layers"][0]["digest"].split(":")[1]')
grep -qx config.dump <(tar -tf "$WORK/plain/blobs/sha256/$layer") || fail "uncompressed layer is not a tar"

step "an archive that already is a layer is the layer, compressed or not; one that is not is rebuilt"
archive_digest=sha256:$(sha256sum <"$WORK/crio.tar" | cut -d' ' -f1)
assert_eq "$archive_digest" "$(json_get "$WORK/plain.json" 'd["layers"][0]["diffID"]')" "diff ID, none"
for compression in gzip zstd; do
    build_json "$WORK/crio.tar" -o "oci:$WORK/as-is-$compression" --compression "$compression" >"$WORK/as-is.json"
    assert_eq "$archive_digest" "$(json_get "$WORK/as-is.json" 'd["layers"][0]["diffID"]')" "diff ID, $compression"
    layer=$(json_get "$WORK/as-is.json" 'd["layers"][0]["digest"].split(":")[1]')
    case $compression in
    gzip) gzip -dc "$WORK/as-is-$compression/blobs/sha256/$layer" >"$WORK/as-is.tar" ;;
    zstd) zstd -qdc "$WORK/as-is-$compression/blobs/sha256/$layer" >"$WORK/as-is.tar" ;;
    esac
    cmp -s "$WORK/as-is.tar" "$WORK/crio.tar" || fail "the $compression layer is not the archive's bytes"
done
# GNU tar's own headers and record padding: a rebuilt layer would differ, the archive's bytes stay.
mkdir "$WORK/files"
tar -C "$WORK/files" -xf "$WORK/crio.tar"
(cd "$WORK/files" && tar --numeric-owner -cf "$WORK/gnu.tar" -- *)
build_json "$WORK/gnu.tar" -o "oci:$WORK/gnu" >"$WORK/gnu.json"
layer=$(json_get "$WORK/gnu.json" 'd["layers"][0]["digest"].split(":")[1]')
gzip -dc "$WORK/gnu/blobs/sha256/$layer" | cmp -s - "$WORK/gnu.tar" ||
    fail "the layer of a GNU tar archive is not the archive's bytes"
gen --engine crio --dot-prefix --pages-size 1M -o "$WORK/dotted.tar"
build_json "$WORK/dotted.tar" -o "oci:$WORK/dotted" >"$WORK/dotted.json"
layer=$(json_get "$WORK/dotted.json" 'd["layers"][0]["digest"].split(":")[1]')
gzip -dc "$WORK/dotted/blobs/sha256/$layer" >"$WORK/dotted-layer.tar"
cmp -s "$WORK/dotted-layer.tar" "$WORK/dotted.tar" && fail "./ names were passed through as they are"
assert_eq "sha256:$(sha256sum <"$WORK/dotted-layer.tar" | cut -d' ' -f1)" \
    "$(json_get "$WORK/dotted.json" 'd["layers"][0]["diffID"]')" "diff ID of a rebuilt layer"
grep -q '^\./' <<<"$(tar -tf "$WORK/dotted-layer.tar")" && fail "the rebuilt layer kept ./ names"

step "one layout holds several tags; oci-archive destinations"
"$CKIMG" build "$WORK/containerd.tar" -o "oci:$WORK/crio:other" -q
assert_eq 2 "$(json_get "$WORK/crio/index.json" 'len(d["manifests"])')" "tags in one layout"
"$CKIMG" build "$WORK/crio.tar" -o "oci-archive:$WORK/img.tar:one" -q
"$CKIMG" build "$WORK/containerd.tar" -o "oci-archive:$WORK/img.tar:two" --tag three -q
tar -xOf "$WORK/img.tar" index.json | json_get - '" ".join(sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in d["manifests"]))' >"$WORK/tags"
assert_eq "one three" "$(cat "$WORK/tags")" "oci-archive tags"

step "without -o: oci:./<container>-checkpoint:latest, nothing else left in the directory"
mkdir "$WORK/cwd"
(cd "$WORK/cwd" && build_json "$WORK/crio.tar" >"$WORK/default.json")
assert_eq "oci:./web-checkpoint:latest" "$(json_get "$WORK/default.json" 'd["reference"]')" "default reference"
assert_eq "web-checkpoint" "$(ls -A "$WORK/cwd")" "directory contents after a default build"

step "progress: a live line per layer on a terminal; none without one, with -q or --json"
need script
# script(1) gives the build a pseudo-terminal: what a user at a shell sees.
for compression in gzip none; do
    script -qec "$(printf '%q ' "$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/tty-$compression" \
        --compression "$compression")" /dev/null >"$WORK/tty.out" 2>&1 </dev/null ||
        fail "build on a terminal failed: $(tail -3 "$WORK/tty.out")"
    grep -aqE 'layer 1 +[0-9.]+ MiB +[0-9.]+ MiB/s +done' "$WORK/tty.out" ||
        fail "no finished progress line for the $compression layer: $(tail -3 "$WORK/tty.out")"
done
"$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/notty" 2>"$WORK/notty.err" >/dev/null
! grep -q 'MiB/s' "$WORK/notty.err" || fail "progress lines without a terminal: $(cat "$WORK/notty.err")"
for flag in -q --json; do
    script -qec "$(printf '%q ' "$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/tty-quiet" "$flag")" \
        /dev/null >"$WORK/tty-quiet.out" 2>&1 </dev/null
    ! grep -aq 'MiB/s' "$WORK/tty-quiet.out" || fail "progress lines with $flag"
done

step "command-line contract: exit codes, help, version, human output on stderr only"
"$CKIMG" --version | grep -q '^ckimg [0-9]' || fail "--version"
assert_contains "$("$CKIMG" help build)" --compression "help build"
for cmd in build validate push login logout formats; do
    "$CKIMG" "$cmd" --help >/dev/null || fail "$cmd --help"
done
status=0; "$CKIMG" build "$WORK/crio.tar" --no-such-flag >/dev/null 2>&1 || status=$?
assert_eq 2 "$status" "unknown flag exit status"
run_fails 2 "--compression" "$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/x" --compression lz4
run_fails 2 "invalid platform" "$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/x" --platform linux
run_fails 2 "RFC 3339" "$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/x" --created yesterday
run_fails 2 "unknown format" "$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/x" --format nope
assert_file_absent "$WORK/x"
out=$("$CKIMG" build "$WORK/crio.tar" -o "oci:$WORK/human" 2>/dev/null)
assert_eq "" "$out" "human output on stdout"
echo "PASS"
