#!/usr/bin/env bash
# Pre-bake a fast-start image: run the app, let it warm up, checkpoint it, push the checkpoint.
#
#   prebake.sh APP_IMAGE READY_CHECK REF [-- PODMAN_RUN_ARGS...]
#
#   APP_IMAGE    the application's image (pulled if missing), e.g. registry.example.com/team/app:v3
#   READY_CHECK  a shell command that exits 0 once the app is warm; $CTR names the container,
#                e.g. 'podman exec "$CTR" /warmapp ready' or 'curl -fsS http://127.0.0.1:8080/ready'
#   REF          where the checkpoint image goes, e.g. registry.example.com/team/app:v3-warm
#   PODMAN_RUN_ARGS  passed to `podman run` before the image (env, command, ...); give the same
#                to start.sh for its cold start
#
# Needs Podman with CRIU (`podman container checkpoint`), run as root, and ckimg. Prints ckimg's
# --json report (reference, digest, ...) on stdout for the next step; progress goes to stderr.
#
# Environment (all optional):
#   PREBAKE_TIMEOUT    seconds to wait for READY_CHECK (default 900)
#   PREBAKE_COMMIT     the commit the image was built from (default: $GITHUB_SHA, $CI_COMMIT_SHA,
#                      else `git rev-parse HEAD`)
#   PREBAKE_RUN        the pipeline run (default: the GitHub Actions or GitLab CI run's URL)
#   PREBAKE_SOURCE     the source repository's URL (default: GitHub's or GitLab's)
#   PREBAKE_COMPRESSION  the layer's compression: zstd (default; fast to pull), gzip, none
#   CKIMG_FLAGS        extra flags for `ckimg build`, e.g. '--insecure' or '--creds user:pass'
#                      (or log in first: ckimg login REGISTRY)
#   PODMAN_PULL_FLAGS  extra `podman pull` flags, e.g. '--tls-verify=false' or '--creds u:p'
#   PODMAN, CKIMG      the commands to run (default: podman, ckimg)
#   TMPDIR             where the checkpoint archive is written (default /var/tmp); it is removed
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=ci-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ci-lib.sh"
ci_args 13 "$@"
app_image=${ARGS[0]} ready_check=${ARGS[1]} ref=${ARGS[2]}
ckimg=${CKIMG:-ckimg}
timeout=${PREBAKE_TIMEOUT:-900}
[[ $timeout =~ ^[0-9]+$ ]] || die "PREBAKE_TIMEOUT=$timeout: expected whole seconds"
read -r -a ckimg_flags <<<"${CKIMG_FLAGS:-}"

commit=${PREBAKE_COMMIT:-${GITHUB_SHA:-${CI_COMMIT_SHA:-$(git rev-parse HEAD 2>/dev/null || true)}}}
if [[ -n ${GITHUB_RUN_ID:-} ]]; then
    default_run="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID"
    default_source="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}"
else
    default_run=${CI_PIPELINE_URL:-} default_source=${CI_PROJECT_URL:-}
fi
run=${PREBAKE_RUN:-$default_run}
source_repo=${PREBAKE_SOURCE:-$default_source}

ctr="prebake-$$-$RANDOM"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/prebake.XXXXXX")
cleanup() {
    "$podman" rm -f -t 0 "$ctr" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The image's digest names exactly what was checkpointed: a tag may move after this run.
"$podman" image exists "$app_image" || "$podman" pull -q "${pull_flags[@]}" "$app_image" >/dev/null ||
    die "cannot pull $app_image"
app_digest=$("$podman" image inspect --format '{{.Digest}}' "$app_image")
app_id=$("$podman" image inspect --format '{{.Id}}' "$app_image")

say "starting $app_image as $ctr"
"$podman" run -d --name "$ctr" "${run_args[@]}" "$app_image" >/dev/null
started=$(date +%s%N)

say "waiting for the app to be warm: $ready_check"
export CTR=$ctr
until (eval "$ready_check") >/dev/null 2>&1; do
    if [[ $("$podman" inspect --format '{{.State.Running}}' "$ctr" 2>/dev/null) != true ]]; then
        "$podman" logs --tail 20 "$ctr" >&2 2>&1 || true
        die "$ctr stopped before it was ready (its last output is above)"
    fi
    (($(date +%s%N) - started < timeout * 1000000000)) ||
        die "$ctr not ready after $timeout s (READY_CHECK: $ready_check)"
    sleep 0.2
done
warm_ms=$((($(date +%s%N) - started) / 1000000))
say "warm after $warm_ms ms; checkpointing"

# Uncompressed: ckimg compresses the layer once, in the same pass that uploads it.
archive=$work/checkpoint.tar
"$podman" container checkpoint --export "$archive" --compress none "$ctr" >/dev/null

say "building and pushing $ref"
annotations=(
    "org.opencontainers.image.base.name=$app_image"
    "org.opencontainers.image.base.digest=$app_digest"
    "org.opencontainers.image.revision=$commit"
    "org.opencontainers.image.source=$source_repo"
    "io.github.ckimg.prebake.pipeline-run=$run"
    "io.github.ckimg.prebake.app-image-id=$app_id"
    "io.github.ckimg.prebake.warm-up-ms=$warm_ms"
    # What a restore elsewhere depends on, for start.sh's message when CRIU refuses it.
    "io.github.ckimg.prebake.kernel=$(uname -r)"
    "io.github.ckimg.prebake.cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
)
provenance=()
for kv in "${annotations[@]}"; do
    [[ -n ${kv#*=} ]] || continue # nothing known: left out rather than empty
    provenance+=(--annotation "$kv" --label "$kv")
done
"$ckimg" build "$archive" --format podman --compression "${PREBAKE_COMPRESSION:-zstd}" \
    --push "$ref" "${provenance[@]}" "${ckimg_flags[@]}" --json -q
