#!/usr/bin/env bash
# Start an app on a node from its pre-baked checkpoint image (made by prebake.sh): pull it and
# restore it warm; when the restore is refused, start the app cold instead and say why.
#
#   start.sh REF READY_CHECK NAME [-- PODMAN_RUN_ARGS...]
#
#   REF          the checkpoint image, e.g. registry.example.com/team/app:v3-warm
#   READY_CHECK  a shell command that exits 0 once the app is ready; $CTR names the container
#   NAME         the container's name on this node
#   PODMAN_RUN_ARGS  for the cold start only (a restore brings back the checkpointed container's
#                own settings): the same as given to prebake.sh
#
# Before restoring it checks what would make the restore fail, and falls back to a cold start of
# the app image (the one the checkpoint was made from, by tag; START_APP_IMAGE overrides) when:
#   - the checkpoint image cannot be pulled
#   - it was made with another OCI runtime (runc vs crun) or for another CPU architecture
#   - its base image (the exact image ID the container ran) is not on this node and cannot be
#     pulled by digest: the tag was rebuilt and the old image deleted
#   - CRIU refuses the restore: other CPU features, a kernel without what the checkpoint uses,
#     a name or PID already taken, ... (CRIU's first error is quoted)
#   - the restored app does not pass READY_CHECK within START_RESTORE_TIMEOUT seconds
# Prints one JSON line on stdout: {"container", "start": "restore"|"cold", "reason", "ready_ms"};
# the reason for a cold start also goes to stderr. Exit 0 when the app is ready either way.
#
# Environment (all optional):
#   START_APP_IMAGE        the image for a cold start (default: the checkpoint's base image name)
#   START_COLD=1           skip the restore (e.g. to measure)
#   START_TIMEOUT          seconds a cold start may take to be ready (default 900)
#   START_RESTORE_TIMEOUT  seconds a restored app may take to be ready (default 60)
#   PODMAN_PULL_FLAGS      extra `podman pull` flags, e.g. '--tls-verify=false' or '--creds u:p'
#   PODMAN                 the command to run (default: podman)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=ci-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ci-lib.sh"
ci_args 12 "$@"
ref=${ARGS[0]} ready_check=${ARGS[1]} name=${ARGS[2]}
cold_timeout=${START_TIMEOUT:-900}
restore_timeout=${START_RESTORE_TIMEOUT:-60}
for t in "$cold_timeout" "$restore_timeout"; do
    [[ $t =~ ^[0-9]+$ ]] || die "timeout $t: expected whole seconds"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/start.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s%N)

elapsed_ms() { echo $((($(date +%s%N) - t0) / 1000000)); }

json_string() { # minimal JSON string escaping for the report
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/ }
    printf '"%s"' "${s//$'\t'/ }"
}

report() { # START REASON
    printf '{"container":%s,"start":%s,"reason":%s,"ready_ms":%s}\n' "$(json_string "$name")" \
        "$(json_string "$1")" "$(json_string "$2")" "$(elapsed_ms)"
}

# wait_ready SECONDS: READY_CHECK passes (0), or the container stopped or time ran out (1).
wait_ready() {
    local limit=$(($1 * 1000000000)) since
    since=$(date +%s%N)
    export CTR=$name
    until (eval "$ready_check") >/dev/null 2>&1; do
        [[ $("$podman" inspect --format '{{.State.Running}}' "$name" 2>/dev/null) == true ]] ||
            return 1
        (($(date +%s%N) - since < limit)) || return 1
        sleep 0.1
    done
}

# The checkpoint image's manifest annotations, read once (each podman call costs a start-up).
declare -A ann=()
# shellcheck disable=SC2016 # the format is a Go template, for podman
read_annotations() {
    local line key value
    while IFS= read -r line; do
        key=${line%%=*} value=${line#*=}
        value=${value#\"} value=${value%\"}
        [[ -n $key ]] && ann[$key]=$value
    done < <("$podman" image inspect --format \
        '{{range $k, $v := .Annotations}}{{printf "%s=%q\n" $k $v}}{{end}}' "$ref" 2>/dev/null)
}
annotation() { echo "${ann[$1]:-}"; }

# Why podman's restore failed: CRIU's error that ended the restore (the last one before
# "Restoring FAILED" in the log podman names), else podman's own last line; with the checkpointing
# host's kernel and CPU beside this node's, which is what such errors usually come down to.
restore_error() { # STDERR_FILE
    local log cause="" where
    log=$(grep -o 'log file: [^ "]*' "$1" | head -n1 | cut -d' ' -f3 || true)
    if [[ -n $log && -r $log ]]; then
        cause=$(awk '/Restoring FAILED/ { print last; done = 1; exit }
                     / Error \(/ { sub(/^\([0-9. ]+\) +([0-9]+: )?/, ""); last = $0; if (!first) first = $0 }
                     END { if (!done && first) print first }' "$log")
    fi
    if [[ -n $cause ]]; then
        cause="CRIU: $cause"
    else
        cause="podman: $(grep -v '^[[:space:]]*$' "$1" | tail -n1)"
    fi
    where="this node: kernel $(uname -r), $(cpu_model)"
    [[ -z $(annotation io.github.ckimg.prebake.kernel) ]] ||
        where="checkpointed on kernel $(annotation io.github.ckimg.prebake.kernel), $(annotation io.github.ckimg.prebake.cpu); $where"
    if grep -qiE 'cpu|xsave|fpu' <<<"$cause"; then
        echo "this node's CPU lacks what the checkpoint uses: $cause ($where)"
    else
        echo "$cause ($where)"
    fi
}

cpu_model() { sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1; }

cold_start() { # REASON
    local reason=$1 image=${START_APP_IMAGE:-${app_image:-}}
    [[ -n $image ]] || die "$reason; and no image to start cold (set START_APP_IMAGE)"
    say "cold start of $image: $reason"
    "$podman" rm -f -t 0 "$name" >/dev/null 2>&1 || true
    "$podman" image exists "$image" || "$podman" pull -q "${pull_flags[@]}" "$image" >/dev/null ||
        die "$reason; and the cold start's image $image cannot be pulled"
    "$podman" run -d --name "$name" "${run_args[@]}" "$image" >/dev/null ||
        die "$reason; and the cold start failed"
    wait_ready "$cold_timeout" ||
        die "$reason; and the cold start is not ready after $cold_timeout s (podman logs $name)"
    report cold "$reason"
    exit 0
}

# Why a restore would be refused here, before trying it (empty: nothing found).
precheck() {
    local runtime arch id base_name base_digest our our_arch
    runtime=$(annotation io.podman.annotations.checkpoint.runtime.name)
    read -r our our_arch < <("$podman" info --format '{{.Host.OCIRuntime.Name}} {{.Host.Arch}}')
    [[ -n $runtime ]] || { echo "$ref is not a Podman checkpoint image (no runtime.name)"; return; }
    [[ $runtime == "$our" ]] || { echo "the checkpoint was made with the $runtime runtime; this node runs $our"; return; }
    arch=$(annotation io.podman.annotations.checkpoint.host.arch)
    [[ -z $arch || $arch == "$our_arch" ]] || { echo "the checkpoint was made on $arch; this node is $our_arch"; return; }
    id=$(annotation io.podman.annotations.checkpoint.rootfsImageID)
    id=${id#sha256:}
    base_name=$(annotation io.podman.annotations.checkpoint.rootfsImageName)
    base_digest=$(annotation org.opencontainers.image.base.digest)
    [[ -n $id ]] || return 0
    local images
    images=$(local_images)
    if ! has_image "$id" "$images"; then
        # The exact image the container ran, by digest: the tag may have moved since.
        local pinned=${base_name%%@*}
        [[ ${pinned##*/} == *:* ]] && [[ -n $base_digest ]] && pinned=${pinned%:*}
        [[ -n $base_digest ]] && pinned+="@$base_digest"
        if ! "$podman" pull -q "${pull_flags[@]}" "$pinned" >/dev/null 2>"$work/pull.err"; then
            echo "its base image $base_name (image ID ${id:0:12}) is not on this node and cannot" \
                "be pulled as $pinned (rebuilt and deleted?): $(tail -n1 "$work/pull.err")"
            return
        fi
        images=$(local_images)
        if ! has_image "$id" "$images"; then
            echo "its base image $base_name (image ID ${id:0:12}) is not on this node, and" \
                "$pinned is another image"
            return
        fi
    fi
    # Podman's restore looks the base image up by name (and pulls it when the name is missing):
    # give the exact image that name when the node has no image of that name.
    if [[ -n $base_name ]] && ! has_image "$base_name" "$images"; then
        "$podman" tag "$id" "$base_name"
    fi
}

local_images() { "$podman" images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'; }

has_image() { # ID|NAME LISTING
    awk -v want="$1" '{ sub(/^sha256:/, "", $1) } $1 == want || $2 == want { found = 1 }
        END { exit !found }' <<<"$2"
}

if [[ ${START_COLD:-} == 1 ]]; then
    app_image=""
    if "$podman" image exists "$ref"; then
        read_annotations
        app_image=$(annotation org.opencontainers.image.base.name)
    fi
    cold_start "START_COLD=1"
fi

app_image=""
if ! "$podman" pull -q "${pull_flags[@]}" "$ref" >/dev/null 2>"$work/pull.err"; then
    cold_start "cannot pull the checkpoint image $ref: $(tail -n1 "$work/pull.err")"
fi
read_annotations
app_image=$(annotation org.opencontainers.image.base.name)
[[ -n $app_image ]] || app_image=$(annotation io.podman.annotations.checkpoint.rootfsImageName)

refused=$(precheck)
[[ -z $refused ]] || cold_start "restore refused: $refused"

"$podman" rm -f -t 0 "$name" >/dev/null 2>&1 || true
if ! "$podman" container restore --name "$name" "$ref" >/dev/null 2>"$work/restore.err"; then
    cold_start "restore refused: $(restore_error "$work/restore.err")"
fi
wait_ready "$restore_timeout" ||
    cold_start "the restored app did not pass READY_CHECK within $restore_timeout s"
report restore ""
