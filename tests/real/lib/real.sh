# shellcheck shell=bash disable=SC2034 # the variables are for the tests that source this
# Helpers for the real end-to-end tests: real CRIU and Podman in the Debian 13 root of
# tools/realenv, two nodes (two Podman storages), ckimg on the host, a real docker-registry on
# loopback. Source it instead of common.sh:
#
#   source "$CKIMG_SOURCE_DIR/tests/real/lib/real.sh"
#
# node NODE CMD...            runs CMD in the root as NODE (a or b), with $WORK shared (same path)
# start_counter NAME          on node a: a volume NAME-vol, and a container NAME from the base
#                             image whose state lives in memory: a shell counter i, written to
#                             /data/c on each tick; /data/starts gets a line per start of the
#                             program; /data/w written ("written"), /etc/realenv-base (a file of
#                             the base image) deleted, /vol/v ("voldata") on the named volume.
#                             Returns once the counter has passed 5.
# checkpoint_export NAME FILE [ARGS]   podman container checkpoint --leave-running --export FILE
#                             NAME on node a (ARGS e.g. --compress gzip); sets CK_VALUE to the
#                             counter's value the archive's rootfs holds (its /data/c).
# assert_restored NODE NAME MIN  the container NAME on NODE is running with its state: the counter
#                             goes on from its checkpointed value (>= MIN, and it grows), the
#                             program started once (no restart from scratch), /data/w is there,
#                             /etc/realenv-base is gone, /vol/v holds the volume's data.
# remove_container NODE NAME  podman rm -f (and its volume), to restore the same container again.
# base_image NODE             loads the base image into NODE's storage; prints its name.
#
# Everything the nodes made is removed on exit (tools/realenv --cleanup).
source "$CKIMG_SOURCE_DIR/tests/e2e/lib/common.sh"

REALENV=$CKIMG_SOURCE_DIR/tools/realenv
REAL_STATE=$WORK/realenv
mkdir -p "$REAL_STATE"
real_cleanup() { "$REALENV" --state "$REAL_STATE" --cleanup; }
on_exit real_cleanup

node() { # NODE CMD...
    local n=$1
    shift
    "$REALENV" --state "$REAL_STATE" --share "$WORK" --node "$n" "$@"
}

base_image() { node "$1" realenv-base; }

# The container's program. i lives only in the shell's memory: a restart from scratch starts at 1
# again and appends a second line to /data/starts. /data/c is replaced by a rename, so a reader
# never sees it half-written.
# shellcheck disable=SC2016 # expanded by the container's shell
COUNTER_PROGRAM='echo start >>/data/starts; echo voldata >/vol/v; echo written >/data/w;
rm /etc/realenv-base; i=0; while :; do i=$((i+1)); echo $i >/data/c.new; mv /data/c.new /data/c; sleep 0.2; done'

start_counter() { # NAME
    local name=$1 image
    image=$(base_image a)
    node a podman volume create "$name-vol" >/dev/null
    node a podman run -d --name "$name" -v "$name-vol:/vol" "$image" sh -c "$COUNTER_PROGRAM" >/dev/null
    wait_counter a "$name" 5
}

counter() { # NODE NAME: the counter's current value
    node "$1" podman exec "$2" cat /data/c
}

wait_counter() { # NODE NAME MIN: waits (up to 30 s) until the counter is past MIN
    local value=0 tries=0
    while ((tries++ < 150)); do
        value=$(counter "$1" "$2" 2>/dev/null) || value=0
        ((value > $3)) && return 0
        sleep 0.2
    done
    fail "container $2 on node $1: the counter did not pass $3 (it is at $value)"
}

# archive_value FILE: the counter's value in the archive's rootfs-diff (any compression).
archive_value() {
    local dir
    dir=$(mktemp -d "$WORK/av.XXXXXX")
    tar -xf "$1" -C "$dir" rootfs-diff.tar || fail "$1 has no rootfs-diff.tar"
    tar -xOf "$dir/rootfs-diff.tar" data/c || fail "$1: rootfs-diff.tar has no data/c"
    rm -rf "$dir"
}

checkpoint_export() { # NAME FILE [podman checkpoint args]
    local name=$1 file=$2
    shift 2
    node a podman container checkpoint --leave-running --export "$file" "$@" "$name" >/dev/null
    CK_VALUE=$(archive_value "$file")
    [[ $CK_VALUE =~ ^[0-9]+$ ]] || fail "$file: counter value [$CK_VALUE] is not a number"
    step "checkpointed $name into ${file##*/} at counter $CK_VALUE"
}

assert_restored() { # NODE NAME MIN
    local n=$1 name=$2 min=$3 state value later
    state=$(node "$n" podman container inspect -f '{{.State.Status}}' "$name") ||
        fail "node $n has no container $name after the restore"
    assert_eq running "$state" "state of $name on node $n"
    value=$(counter "$n" "$name")
    ((value >= min)) || fail "$name on node $n: the counter is at $value, below its checkpointed $min (state lost)"
    assert_eq 1 "$(node "$n" podman exec "$name" grep -c start /data/starts)" \
        "starts of $name's program on node $n (a restore must not run it again)"
    assert_eq written "$(node "$n" podman exec "$name" cat /data/w)" "/data/w of $name on node $n"
    node "$n" podman exec "$name" test ! -e /etc/realenv-base ||
        fail "$name on node $n: /etc/realenv-base, deleted before the checkpoint, is back"
    assert_eq voldata "$(node "$n" podman exec "$name" cat /vol/v)" "volume data of $name on node $n"
    wait_counter "$n" "$name" "$value"
    later=$(counter "$n" "$name")
    step "$name runs on node $n: counter $min at the checkpoint, $value after the restore, then $later"
}

remove_container() { # NODE NAME
    node "$1" podman rm -f -t 0 "$2" >/dev/null 2>&1
    node "$1" podman volume rm -f "$2-vol" >/dev/null 2>&1 || true
}
