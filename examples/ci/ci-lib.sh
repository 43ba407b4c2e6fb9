# shellcheck shell=bash disable=SC2034 # podman, pull_flags, ARGS and run_args are the caller's
# What prebake.sh and start.sh share; they source it from their own directory (copy it along).
# Messages ("SCRIPT: ..." on stderr), the command line (three arguments, then "--" and
# `podman run`'s), Podman and its pull flags ($PODMAN, $PODMAN_PULL_FLAGS).

me=${0##*/}
say() { echo "$me: $*" >&2; }
die() {
    echo "$me: error: $*" >&2
    exit 1
}

# ci_args USAGE_END "$@": sets ARGS (the three arguments) and run_args (those after "--"); with
# fewer than three, prints the calling script's usage (its header comment, lines 2..USAGE_END)
# and exits 2.
ci_args() {
    local usage_end=$1
    shift
    if [[ $# -lt 3 ]]; then
        sed -n "2,${usage_end}s/^# \{0,1\}//p" "$0" >&2
        exit 2
    fi
    ARGS=("$1" "$2" "$3")
    shift 3
    if [[ $# -gt 0 ]]; then
        [[ $1 == -- ]] || die "unexpected argument '$1' (podman run arguments go after --)"
        shift
    fi
    run_args=("$@")
}

podman=${PODMAN:-podman}
read -r -a pull_flags <<<"${PODMAN_PULL_FLAGS:-}"
