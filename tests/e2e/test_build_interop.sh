#!/usr/bin/env bash
# What ckimg writes, read by the real tools: skopeo inspects and copies it, umoci unpacks it to
# the archive's files byte for byte, and its layer equals (names, types, modes, contents) the
# layer of the image that the buildah recipe of the Kubernetes blog makes from the same archive.
source "$(dirname "$0")/lib/common.sh"
need skopeo
need umoci
need buildah

"$CKIMG_GEN" --engine crio --container counter --pages-size 4M -o "$WORK/ck.tar"
"$CKIMG" build "$WORK/ck.tar" -o "oci:$WORK/ours:latest" --json >"$WORK/build.json"
digest=$(json_get "$WORK/build.json" 'd["digest"]')

step "skopeo inspect and copy"
skopeo inspect "oci:$WORK/ours:latest" >"$WORK/inspect.json"
assert_eq "$(json_get "$WORK/build.json" 'd["layers"][0]["digest"]')" "$(json_get "$WORK/inspect.json" 'd["Layers"][0]')" "skopeo sees our layer"
assert_eq amd64 "$(json_get "$WORK/inspect.json" 'd["Architecture"]')" "skopeo architecture"
skopeo inspect --raw "oci:$WORK/ours:latest" >"$WORK/raw.json"
assert_eq "$digest" "sha256:$(sha256sum <"$WORK/raw.json" | cut -d' ' -f1)" "skopeo --raw returns our index"
skopeo copy -q "oci:$WORK/ours:latest" "oci:$WORK/copied:latest"
skopeo inspect "oci:$WORK/copied:latest" >"$WORK/copied.json"
assert_eq "$(json_get "$WORK/inspect.json" 'd["Layers"]')" "$(json_get "$WORK/copied.json" 'd["Layers"]')" "layers after skopeo copy"
skopeo copy -q "oci:$WORK/ours:latest" "oci-archive:$WORK/copied.tar:latest"
"$CKIMG" build "$WORK/ck.tar" -o "oci-archive:$WORK/ours.tar:latest" -q
skopeo inspect "oci-archive:$WORK/ours.tar:latest" >/dev/null || fail "skopeo cannot read our oci-archive"

step "umoci unpack gives the archive's files byte for byte"
mkdir "$WORK/extracted"
tar -xf "$WORK/ck.tar" -C "$WORK/extracted"
umoci unpack --rootless --image "$WORK/ours:latest" "$WORK/bundle" >/dev/null
diff -r "$WORK/extracted" "$WORK/bundle/rootfs" || fail "umoci's rootfs differs from the archive"
(cd "$WORK/extracted" && find . -printf '%P %y %m\n' | sort) >"$WORK/modes.archive"
(cd "$WORK/bundle/rootfs" && find . -printf '%P %y %m\n' | sort) >"$WORK/modes.umoci"
diff "$WORK/modes.archive" "$WORK/modes.umoci" || fail "modes differ after umoci unpack"

step "the buildah recipe's image has the same layer content"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
B=(buildah --root "$WORK/buildah-root" --runroot "$WORK/buildah-run")
on_exit "${B[*]} rm --all >/dev/null 2>&1; ${B[*]} rmi --all -f >/dev/null 2>&1"
ctr=$("${B[@]}" from scratch)
"${B[@]}" add "$ctr" "$WORK/ck.tar" / >/dev/null
"${B[@]}" config --annotation=io.kubernetes.cri-o.annotations.checkpoint.name=counter "$ctr"
"${B[@]}" commit -q "$ctr" ckimg-reference:latest >/dev/null
"${B[@]}" push -q ckimg-reference:latest "oci:$WORK/buildah:latest"
# The recipe's annotation is where CRI-O looks; ours must be there too.
bmanifest=$(json_get "$WORK/buildah/index.json" 'd["manifests"][0]["digest"].split(":")[1]')
assert_eq counter "$(json_get "$WORK/buildah/blobs/sha256/$bmanifest" 'd["annotations"]["io.kubernetes.cri-o.annotations.checkpoint.name"]')" "buildah annotation"
assert_eq counter "$(json_get "$WORK/build.json" 'd["annotations"]["io.kubernetes.cri-o.annotations.checkpoint.name"]')" "our annotation"
blayer=$(json_get "$WORK/buildah/blobs/sha256/$bmanifest" 'd["layers"][0]["digest"].split(":")[1]')
olayer=$(json_get "$WORK/build.json" 'd["layers"][0]["digest"].split(":")[1]')
# name, type, mode and content digest of every entry (python's tarfile reads both layers).
layer_listing() {
    python3 - "$1" <<'PY'
import hashlib, sys, tarfile
with tarfile.open(sys.argv[1], "r:*") as tar:
    rows = []
    for m in tar:
        name = m.name.lstrip("./").rstrip("/")
        if not name:
            continue
        digest = hashlib.sha256(tar.extractfile(m).read()).hexdigest() if m.isfile() else m.linkname
        rows.append(f"{name} {m.type.decode()} {m.mode & 0o7777:o} {digest}")
    print("\n".join(sorted(rows)))
PY
}
layer_listing "$WORK/buildah/blobs/sha256/$blayer" >"$WORK/layer.buildah"
layer_listing "$WORK/ours/blobs/sha256/$olayer" >"$WORK/layer.ours"
[[ -s $WORK/layer.ours ]] || fail "empty layer listing"
diff "$WORK/layer.buildah" "$WORK/layer.ours" || fail "our layer differs from buildah's"
echo PASS
