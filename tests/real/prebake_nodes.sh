# shellcheck shell=bash
# Nodes for the pre-bake pipeline of examples/ci (tests/real/test_prebake.sh, tools/prebake-bench):
# source after tests/e2e/lib/common.sh. prebake_nodes STATE_DIR makes `podman` on PATH run in
# node $NODE of tools/realenv (as a CI runner's podman; ckimg stays on the host) and TMPDIR=$WORK,
# which the nodes share, so that Podman's checkpoint archive is where ckimg reads it.
#   on_node NODE [VAR=VALUE...] COMMAND...   a command on the node itself, as the node runs it
#                                            (start.sh with plain podman), with the source tree
#                                            and $WORK shared
#   field FILE KEY                           a top-level value of a JSON file

REALENV=$CKIMG_SOURCE_DIR/tools/realenv
# shellcheck disable=SC2034 # for the scripts that source this
CI=$CKIMG_SOURCE_DIR/examples/ci

prebake_nodes() { # STATE_DIR
    PREBAKE_STATE=$1
    [[ $(id -u) == 0 ]] || fail "needs root (tools/realenv: mount namespaces, CRIU)"
    "$REALENV" --ensure >/dev/null
    on_exit "'$REALENV' --state '$PREBAKE_STATE' --cleanup >/dev/null 2>&1"
    mkdir -p "$WORK/bin"
    cat >"$WORK/bin/podman" <<EOF
#!/bin/sh
exec '$REALENV' --state '$PREBAKE_STATE' --share '$WORK' --node "\${NODE:?}" podman "\$@"
EOF
    chmod +x "$WORK/bin/podman"
    ln -sf "$CKIMG" "$WORK/bin/ckimg"
    export PATH=$WORK/bin:$PATH TMPDIR=$WORK
}

on_node() { # NODE COMMAND...
    local node=$1
    shift
    "$REALENV" --state "$PREBAKE_STATE" --share "$WORK" --share "$CKIMG_SOURCE_DIR" --node "$node" \
        env TMPDIR=/tmp PODMAN_PULL_FLAGS=--tls-verify=false "$@"
}

field() { json_get "$1" "d['$2']"; }

# image_manifest REF: the image manifest REF names on the (plain HTTP) registry, through an index.
image_manifest() {
    local raw digest
    raw=$(skopeo inspect --raw --tls-verify=false "docker://$1")
    digest=$(json_get - "d['manifests'][0]['digest'] if 'manifests' in d else ''" <<<"$raw")
    [[ -z $digest ]] || raw=$(skopeo inspect --raw --tls-verify=false "docker://${1%:*}@$digest")
    echo "$raw"
}
