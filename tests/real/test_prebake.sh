#!/usr/bin/env bash
# The pre-bake pipeline of examples/ci, for real (tools/realenv: CRIU 4.1, Podman 5.4, runc):
# the demonstration app is built and pushed to a loopback registry; examples/ci/prebake.sh runs
# it on node a (Podman through tools/realenv, ckimg on the host, as a CI runner would), waits
# until it is warm, checkpoints it and pushes the checkpoint image with its provenance; then
# examples/ci/start.sh runs on other nodes (inside them, with plain podman) and
#   b: restores it: the app answers with the state node a warmed (same nonce, checksum, warm-up
#      count 1, warm-up time, lookups) and its query count goes on; nothing was recomputed
#   c: the checkpoint says another OCI runtime (crun): refused before trying, cold start, why
#   d: CRIU itself refuses (a stand-in for another CPU or kernel): cold start, CRIU's error
#   e: the app's tag was rebuilt and the checkpointed image deleted from the registry: refused
#      before trying, cold start (the same state, recomputed: a new nonce), why
source "$CKIMG_SOURCE_DIR/tests/real/prebake_nodes.sh"
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/registry.sh"
need gcc
prebake_nodes

start_registry plain
REG=$REG_HOST
APP=$REG/demo/warmapp:v1
REF=$REG/demo/warmapp:v1-warm
RUN_ARGS=(-e WARM_MIB=8 -e WARM_ROUNDS=64)
# shellcheck disable=SC2016 # expanded by the scripts, with their $CTR
READY='podman exec "$CTR" /warmapp ready'

step "the app image, built (gcc -static, podman build) and pushed"
NODE=builder PODMAN_PUSH_FLAGS=--tls-verify=false "$CI/app/build.sh" "$APP" --push >/dev/null
app_digest=$(reg_manifest_digest demo/warmapp v1)

step "node a: prebake.sh $APP -> $REF"
# The ready check also records what the warm app answers, to compare with the restored one.
NODE=a PODMAN_PULL_FLAGS=--tls-verify=false CKIMG_FLAGS=--insecure PREBAKE_COMMIT=0123abcd \
    PREBAKE_RUN=https://ci.example/pipelines/42 PREBAKE_SOURCE=https://git.example/team/app \
    "$CI/prebake.sh" "$APP" "podman exec \"\$CTR\" /warmapp query 'get 4242' >$WORK/warm.json" \
    "$REF" -- "${RUN_ARGS[@]}" >"$WORK/prebake.json" 2>"$WORK/prebake.err" ||
    fail "prebake.sh failed: $(cat "$WORK/prebake.err")"
assert_eq 1 "$(field "$WORK/warm.json" warmups)" "warm-up count of the app on node a"
assert_eq 8 "$(field "$WORK/warm.json" state_mib)" "state size"
[[ $(field "$WORK/warm.json" value) =~ ^[0-9a-f]{16}$ ]] || fail "node a's lookup found nothing"
digest=$(field "$WORK/prebake.json" digest)
assert_eq "$(reg_manifest_digest demo/warmapp v1-warm)" "$digest" "prebake.sh's --json digest"
assert_eq "" "$(NODE=a podman ps -aq)" "containers left on node a"

step "provenance on the manifest (annotations) and in the config (labels)"
manifest=$(image_manifest "$REF")
config=$(skopeo inspect --config "${REG_SKOPEO_FLAGS[@]}" "docker://$REF")
for kv in org.opencontainers.image.revision=0123abcd \
    io.github.ckimg.prebake.pipeline-run=https://ci.example/pipelines/42 \
    org.opencontainers.image.source=https://git.example/team/app \
    "org.opencontainers.image.base.name=$APP" "org.opencontainers.image.base.digest=$app_digest" \
    io.podman.annotations.checkpoint.runtime.name=runc; do
    key=${kv%%=*} want=${kv#*=}
    assert_eq "$want" "$(json_get - "d['annotations'].get('$key')" <<<"$manifest")" "annotation $key"
    [[ $key == io.podman.* ]] && continue
    assert_eq "$want" "$(json_get - "d['config']['Labels'].get('$key')" <<<"$config")" "label $key"
done

step "node b: start.sh restores the warm app from the registry"
on_node b bash "$CI/start.sh" "$REF" "$READY" app -- "${RUN_ARGS[@]}" >"$WORK/start-b.json" \
    2>"$WORK/start-b.err" || fail "start.sh on node b failed: $(cat "$WORK/start-b.err")"
assert_eq restore "$(field "$WORK/start-b.json" start)" "node b's start ($(cat "$WORK/start-b.err"))"
on_node b podman exec app /warmapp query 'get 4242' >"$WORK/restored.json"
for key in nonce warmups warmup_ms checksum key value records started_unix; do
    assert_eq "$(field "$WORK/warm.json" "$key")" "$(field "$WORK/restored.json" "$key")" \
        "restored app's $key (the state node a warmed)"
done
(($(field "$WORK/restored.json" served) > $(field "$WORK/warm.json" served))) ||
    fail "the restored app's query count did not go on from node a's"

step "node c: a checkpoint made with another runtime -> cold start, with why"
"$CKIMG" export "$REF" "$WORK/ck.tar" --insecure -q
"$CKIMG" build "$WORK/ck.tar" --format podman --push "$REG/demo/warmapp:v1-crun" --insecure -q \
    --annotation io.podman.annotations.checkpoint.runtime.name=crun \
    --annotation "org.opencontainers.image.base.name=$APP" >/dev/null
on_node c bash "$CI/start.sh" "$REG/demo/warmapp:v1-crun" "$READY" app -- "${RUN_ARGS[@]}" \
    >"$WORK/start-c.json" 2>"$WORK/start-c.err" || fail "start.sh on node c failed: $(cat "$WORK/start-c.err")"
assert_eq cold "$(field "$WORK/start-c.json" start)" "node c's start"
assert_contains "$(field "$WORK/start-c.json" reason)" \
    "restore refused: the checkpoint was made with the crun runtime; this node runs runc" "node c's reason"

step "node d: CRIU refuses the restore -> cold start, with CRIU's error"
# A stand-in for what cannot be staged on one machine (another CPU, another kernel): the same
# checkpoint with its UTS namespace image damaged, which ckimg carries and CRIU refuses.
python3 - "$WORK/ck.tar" "$WORK/damaged.tar" <<'PY'
import sys, tarfile, io
with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as dst:
    for m in src.getmembers():
        data = src.extractfile(m).read() if m.isfile() else None
        if m.name.startswith("checkpoint/utsns-"):
            data = b"\0\0\0\0" + data[4:]
        dst.addfile(m, io.BytesIO(data) if data is not None else None)
PY
"$CKIMG" build "$WORK/damaged.tar" --format podman --push "$REG/demo/warmapp:v1-damaged" --insecure -q \
    --annotation "org.opencontainers.image.base.name=$APP" \
    --annotation "org.opencontainers.image.base.digest=$app_digest" >/dev/null
on_node d bash "$CI/start.sh" "$REG/demo/warmapp:v1-damaged" "$READY" app -- "${RUN_ARGS[@]}" \
    >"$WORK/start-d.json" 2>"$WORK/start-d.err" || fail "start.sh on node d failed: $(cat "$WORK/start-d.err")"
assert_eq cold "$(field "$WORK/start-d.json" start)" "node d's start"
assert_contains "$(field "$WORK/start-d.json" reason)" "restore refused: CRIU: Error (" "node d's reason"
assert_contains "$(field "$WORK/start-d.json" reason)" "utsns-" "node d's reason"
[[ $(on_node d podman ps -a --format '{{.Names}} {{.Status}}') == "app Up"* ]] ||
    fail "node d: the cold-started app is not the one container, up"

step "node e: the tag was rebuilt and the checkpointed image deleted -> cold start, with why"
NODE=builder PODMAN_PUSH_FLAGS=--tls-verify=false CC="gcc -s" "$CI/app/build.sh" "$APP" --push >/dev/null
[[ $(reg_manifest_digest demo/warmapp v1) != "$app_digest" ]] || fail "the rebuilt app has the same digest"
reg_curl DELETE "/v2/demo/warmapp/manifests/$app_digest" -o /dev/null -fsS
on_node e bash "$CI/start.sh" "$REF" "$READY" app -- "${RUN_ARGS[@]}" >"$WORK/start-e.json" \
    2>"$WORK/start-e.err" || fail "start.sh on node e failed: $(cat "$WORK/start-e.err")"
assert_eq cold "$(field "$WORK/start-e.json" start)" "node e's start"
assert_contains "$(cat "$WORK/start-e.err")" "start.sh: cold start of $APP: restore refused: its base image $APP" "node e's message"
assert_contains "$(field "$WORK/start-e.json" reason)" "cannot be pulled" "node e's reason"
on_node e podman exec app /warmapp query 'get 4242' >"$WORK/cold.json"
[[ $(field "$WORK/cold.json" nonce) != "$(field "$WORK/warm.json" nonce)" ]] ||
    fail "node e's app has node a's nonce: it was not a cold start"
assert_eq 1 "$(field "$WORK/cold.json" warmups)" "node e's warm-up count"
assert_eq "$(field "$WORK/warm.json" checksum)" "$(field "$WORK/cold.json" checksum)" \
    "node e's checksum (the same state, recomputed)"

