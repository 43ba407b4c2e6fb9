#!/usr/bin/env bash
# ckimg checkpoint end to end with a REAL checkpoint: a counter runs in Podman on node A of the
# Debian 13 environment (tools/realenv: CRIU 4.1, Podman 5.4); the kubelet TEST DOUBLE
# (lib/kubelet_double.py: no real kubelet can run here) answers POST /checkpoint/... by running
# `podman container checkpoint --export --leave-running` of it, as CRI-O does for the kubelet, and
# names the archive; ckimg checkpoint builds it in the podman format and pushes it to a real
# registry (docker-registry); node B (its own Podman storage) pulls the image and restores it:
# the same process goes on counting (its in-memory nonce is the one from before, the count
# carries on past the checkpoint's and keeps rising). With --rm the archive is gone afterwards.
# shellcheck source-path=SCRIPTDIR/../e2e
source "$(dirname "$0")/../e2e/lib/common.sh"
source "$(dirname "$0")/../e2e/lib/registry.sh"
source "$(dirname "$0")/../e2e/lib/kubelet.sh"
[[ $(id -u) == 0 ]] || fail "needs root (tools/realenv: mount namespaces, CRIU)"

REALENV=$CKIMG_SOURCE_DIR/tools/realenv
STATE=$WORK/realenv
on_exit '"$REALENV" --state "$STATE" --cleanup >/dev/null 2>&1'
node() { # NODE COMMAND...: inside the Debian 13 root, as NODE, $WORK shared
    local name=$1
    shift
    "$REALENV" --state "$STATE" --share "$WORK" --node "$name" "$@"
}

step "node A: a counter in Podman (a random nonce kept in memory, a count every 0.2 s)"
# shellcheck disable=SC2016 # runs in the container
counter='n=$(od -An -N4 -tu4 /dev/urandom | tr -d " "); i=0
while :; do i=$((i+1)); echo "$n $i" >/tmp/count; sleep 0.2; done'
node a sh -c 'podman run -d --name counter "$(realenv-base)" sh -c "$1" >/dev/null' sh "$counter" ||
    fail "cannot start the counter on node A"
read_count() { node "$1" podman exec "$2" cat /tmp/count; }
wait_count_above() { # NODE CONTAINER MIN: waits (30 s at most) until the count passes MIN
    local value i
    for i in $(seq 150); do
        value=$(read_count "$1" "$2" 2>/dev/null || true)
        [[ -n $value && ${value#* } -gt $3 ]] && { echo "$value"; return 0; }
        sleep 0.2
    done
    fail "the count of $2 on node $1 did not pass $3 (last: [$value])"
}
before=$(wait_count_above a counter 3)
nonce=${before% *}
step "counting on node A: nonce $nonce, count ${before#* }"

start_registry plain
mkdir -p "$WORK/kubelet/checkpoints"
# The double checkpoints for real: Podman on node A, into the checkpoints directory (shared).
start_kubelet_double --pod default/counters/counter --checkpoint-command \
    "'$REALENV' --state '$STATE' --share '$WORK' --node a podman container checkpoint \
     --leave-running --compress none --export \"\$CKPT_PATH\" counter"

step "ckimg checkpoint: the kubelet API, a real archive, the podman format, pushed"
"$CKIMG" checkpoint default/counters/counter --kubelet "$KUBELET_URL" "${KUBELET_ADMIN[@]}" \
    --checkpoints-dir "$KUBELET_DIR" --format podman --push "$REG_HOST/ckpt/counter:real" \
    --insecure --rm --json >"$WORK/checkpoint.json" 2>"$WORK/checkpoint.err" ||
    fail "ckimg checkpoint failed: $(cat "$WORK/checkpoint.err")"
archive=$(json_get "$WORK/checkpoint.json" 'd["archive"]')
[[ $archive == "$KUBELET_DIR"/checkpoint-counters_default-counter-*.tar ]] ||
    fail "archive [$archive] is not the kubelet's name"
assert_eq True "$(json_get "$WORK/checkpoint.json" 'd["removed"]')" "removed"
assert_file_absent "$archive"
assert_eq podman "$(json_get "$WORK/checkpoint.json" 'd["format"]')" "format"
assert_eq podman "$(json_get "$WORK/checkpoint.json" 'd["checkpoint"]["engine"].lower()')" "engine"
assert_eq complete "$(reg_image_state ckpt/counter real)" "pushed image"
checkpointed=$(read_count a counter)
[[ ${checkpointed% *} == "$nonce" ]] || fail "node A's counter changed its nonce: $checkpointed"

step "node B: pull and restore the image; the same process counts on"
node a podman stop -t 0 counter >/dev/null 2>&1 || true
node b sh -c 'realenv-base >/dev/null && podman pull -q --tls-verify=false "$1" >/dev/null &&
    podman container restore --name counter-b "$1" >/dev/null' sh "$REG_HOST/ckpt/counter:real" \
    >"$WORK/restore.out" 2>&1 || fail "restore on node B failed: $(tail -3 "$WORK/restore.out")"
first=$(read_count b counter-b)
[[ ${first% *} == "$nonce" ]] || fail "node B's counter has nonce [${first% *}], not $nonce: not the checkpointed process"
[[ ${first#* } -ge ${before#* } ]] || fail "node B's count ${first#* } is below the checkpoint's ${before#* }"
later=$(wait_count_above b counter-b "${first#* }")
[[ ${later% *} == "$nonce" ]] || fail "node B's nonce changed: $later"
step "restored on node B: nonce $nonce, count ${first#* } -> ${later#* }"

assert_no_kubelet_secret "$WORK/checkpoint.json" "$WORK/checkpoint.err"
echo "test_checkpoint_kubelet_real: ok" >&2
