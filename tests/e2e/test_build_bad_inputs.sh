#!/usr/bin/env bash
# Every kind of bad input gets one line on stderr naming the file and the problem, exit 1, and
# leaves nothing behind: no layout, no blob, no temporary file, an existing layout unchanged.
source "$(dirname "$0")/lib/common.sh"

declare -A expected=(
    [not-tar]="not a tar archive"
    [truncated]="truncated or corrupt archive"
    [truncated-stream]="truncated or corrupt archive"
    [no-config]="no config.dump in the archive"
    [no-spec]="no spec.dump in the archive"
    [no-checkpoint]="no checkpoint/ directory in the archive"
    [config-not-json]="config.dump: not valid JSON"
    [config-no-name]='config.dump has no "name"'
    [abs-path]='entry "/etc/evil": absolute path'
    [dotdot]='".." component (path traversal)'
    [symlink-out]="points outside the archive"
    [hardlink-out]='hard link to "../outside" points outside the archive'
    [device]="device node refused"
)

kinds=$("$CKIMG_GEN" --list-bad)
for kind in $kinds; do
    [[ -n ${expected[$kind]:-} ]] || fail "no expectation for the generator's bad kind $kind"
done

"$CKIMG_GEN" --engine crio --pages-size 1M -o "$WORK/good.tar"
"$CKIMG" build "$WORK/good.tar" -o "oci:$WORK/existing:keep" -q
snapshot() { (cd "$WORK/existing" && find . -type f -printf '%p %s\n' | sort && cat index.json); }
before=$(snapshot)

for kind in $kinds; do
    step "bad input: $kind"
    "$CKIMG_GEN" --engine crio --pages-size 1M --bad "$kind" -o "$WORK/bad-$kind.tar"
    run_fails 1 "bad-$kind.tar" "$CKIMG" build "$WORK/bad-$kind.tar" -o "oci:$WORK/out-$kind:latest"
    grep -qF -- "${expected[$kind]}" "$WORK/err" || fail "$kind: [$(cat "$WORK/err")] lacks [${expected[$kind]}]"
    assert_file_absent "$WORK/out-$kind"
    run_fails 1 "${expected[$kind]}" "$CKIMG" build "$WORK/bad-$kind.tar" -o "oci:$WORK/existing:new"
    assert_eq "$before" "$(snapshot)" "$kind: existing layout changed"
    run_fails 1 "${expected[$kind]}" "$CKIMG" build "$WORK/bad-$kind.tar" -o "oci-archive:$WORK/out-$kind.tar"
    assert_file_absent "$WORK/out-$kind.tar"
    run_fails 1 "${expected[$kind]}" "$CKIMG" validate "$WORK/bad-$kind.tar"
    mkdir -p "$WORK/cwd-$kind"
    (cd "$WORK/cwd-$kind" && run_fails 1 "${expected[$kind]}" "$CKIMG" build "$WORK/bad-$kind.tar")
    assert_eq "" "$(ls -A "$WORK/cwd-$kind")" "$kind: default destination left files"
done

step "stray files: no temporary file anywhere"
leftovers=$(find "$WORK" -name '.ckimg-*')
assert_eq "" "$leftovers" "temporary files left"

step "missing archive, a directory, a destination that is not a layout"
run_fails 1 "no-such.tar: No such file or directory" "$CKIMG" build "$WORK/no-such.tar" -o "oci:$WORK/o1"
run_fails 1 "is a directory" "$CKIMG" build "$WORK/existing" -o "oci:$WORK/o2"
mkdir "$WORK/notlayout" && echo hello >"$WORK/notlayout/file"
run_fails 1 "is not an OCI image layout" "$CKIMG" build "$WORK/good.tar" -o "oci:$WORK/notlayout"
assert_eq "file" "$(ls -A "$WORK/notlayout")" "a non-layout directory was touched"
echo hello >"$WORK/plainfile"
run_fails 1 "not a directory" "$CKIMG" build "$WORK/good.tar" -o "oci:$WORK/plainfile"
run_fails 1 "not a tar archive" "$CKIMG" build - -o "oci:$WORK/o3" </dev/urandom
assert_file_absent "$WORK/o1"
echo PASS
