# shellcheck shell=bash
# Nodes for the pre-bake pipeline of examples/ci (tests/real/test_prebake.sh, tools/prebake-bench):
# source it instead of common.sh (it sources tests/real/lib/real.sh). prebake_nodes makes
# `podman` on PATH run in node $NODE of tools/realenv (as a CI runner's podman; ckimg stays on the
# host) and TMPDIR=$WORK, which the nodes share, so that Podman's checkpoint archive is where
# ckimg reads it.
#   on_node NODE [VAR=VALUE...] COMMAND...   a command on the node itself, as the node runs it
#                                            (start.sh with plain podman), with the source tree
#                                            and $WORK shared
#   field FILE KEY                           a top-level value of a JSON file
#   image_manifest REF                       the image manifest REF names, through an index

source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
# shellcheck disable=SC2034 # for the scripts that source this
CI=$CKIMG_SOURCE_DIR/examples/ci

prebake_nodes() {
    [[ $(id -u) == 0 ]] || fail "needs root (tools/realenv: mount namespaces, CRIU)"
    "$REALENV" --ensure >/dev/null
    mkdir -p "$WORK/bin"
    printf '#!/bin/sh\nexec %q --state %q --share %q --node "${NODE:?}" podman "$@"\n' \
        "$REALENV" "$REAL_STATE" "$WORK" >"$WORK/bin/podman"
    chmod +x "$WORK/bin/podman"
    ln -sf "$CKIMG" "$WORK/bin/ckimg"
    export PATH=$WORK/bin:$PATH TMPDIR=$WORK
}

on_node() { # NODE COMMAND...
    local n=$1
    shift
    node "$n" --share "$CKIMG_SOURCE_DIR" env TMPDIR=/tmp PODMAN_PULL_FLAGS=--tls-verify=false "$@"
}

field() { json_get "$1" "d['$2']"; }

image_manifest() { # REF on the (plain HTTP) registry
    local raw digest
    raw=$(skopeo inspect --raw --tls-verify=false "docker://$1")
    digest=$(json_get - "d['manifests'][0]['digest'] if 'manifests' in d else ''" <<<"$raw")
    [[ -z $digest ]] || raw=$(skopeo inspect --raw --tls-verify=false "docker://${1%:*}@$digest")
    echo "$raw"
}
