#!/usr/bin/env bash
# ckimg export into a FIFO, as `podman container restore --import FIFO` reads it (Podman 5.4
# opens the path three times: twice for config.dump and spec.dump only, then for the whole
# archive): with --config-readers 2, readers 1 and 2 each get a complete tar of the archive's
# leading entries up to both config entries, reader 3 gets the archive whole, byte for byte what
# an export to a file writes; the FIFO is still a FIFO afterwards. Without the option one reader
# gets it all. A reader that leaves early fails the export naming the FIFO; --config-readers on a
# regular file is a usage error.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib/common.sh"

"$CKIMG_GEN" --engine podman --container counter -o "$WORK/ck.tar" --pages-size 3M >/dev/null
"$CKIMG" build -q "$WORK/ck.tar" --format podman -o "oci:$WORK/img:v1"
"$CKIMG" export -q "oci:$WORK/img:v1" "$WORK/want.tar"

names() { tar -tf "$1" | sed 's|^\./||; s|/$||'; }

step "--config-readers 2: two configuration readers, then the whole archive"
mkfifo "$WORK/ck.fifo"
"$CKIMG" export -q "oci:$WORK/img:v1" "$WORK/ck.fifo" --config-readers 2 &
exporter=$!
for i in 1 2 3; do cat "$WORK/ck.fifo" >"$WORK/read$i.tar"; done
wait "$exporter" || fail "export into the FIFO failed"
[[ -p $WORK/ck.fifo ]] || fail "the FIFO is no longer a FIFO"
cmp "$WORK/want.tar" "$WORK/read3.tar" || fail "the third reader did not get the whole archive"
last=$(names "$WORK/want.tar" | grep -n -x -E 'config.dump|spec.dump' | tail -1 | cut -d: -f1)
[[ -n $last ]] || fail "the generated archive has no config entries"
want_prefix=$(names "$WORK/want.tar" | sed -n "1,${last}p")
for i in 1 2; do
    tar -tf "$WORK/read$i.tar" >/dev/null || fail "reader $i got no complete tar"
    assert_eq "$want_prefix" "$(names "$WORK/read$i.tar")" "reader $i's entries"
    mkdir -p "$WORK/x$i" "$WORK/w"
    tar -xf "$WORK/read$i.tar" -C "$WORK/x$i" config.dump spec.dump
    tar -xf "$WORK/want.tar" -C "$WORK/w" config.dump spec.dump
    cmp "$WORK/w/config.dump" "$WORK/x$i/config.dump" || fail "reader $i: config.dump differs"
    cmp "$WORK/w/spec.dump" "$WORK/x$i/spec.dump" || fail "reader $i: spec.dump differs"
done

step "no option: one reader gets the archive"
"$CKIMG" export -q "oci:$WORK/img:v1" "$WORK/ck.fifo" &
exporter=$!
cat "$WORK/ck.fifo" >"$WORK/once.tar"
wait "$exporter" || fail "export into the FIFO failed"
cmp "$WORK/want.tar" "$WORK/once.tar" || fail "a plain FIFO reader did not get the archive"

step "a reader that leaves early: the export fails naming the FIFO"
"$CKIMG" export -q "oci:$WORK/img:v1" "$WORK/ck.fifo" 2>"$WORK/early.err" &
exporter=$!
head -c 1000 "$WORK/ck.fifo" >/dev/null
status=0
wait "$exporter" || status=$?
[[ $status == 1 ]] || fail "export to a reader that left exited $status, wanted 1"
assert_contains "$(cat "$WORK/early.err")" "ck.fifo" "the error names the FIFO"

step "bad uses"
run_fails 2 "not a FIFO" "$CKIMG" export -q "oci:$WORK/img:v1" "$WORK/file.tar" --config-readers 2
assert_file_absent "$WORK/file.tar"
echo "PASS"
