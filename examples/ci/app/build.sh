#!/usr/bin/env bash
# Build the demonstration app and its image: build.sh IMAGE [--push]
# (gcc with the static C library, e.g. Debian's libc6-dev; podman)
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: build.sh IMAGE [--push]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
ctx=$(mktemp -d "${TMPDIR:-/tmp}/warmapp.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
${CC:-gcc} -static -O2 -Wall -Wextra -o "$ctx/warmapp" "$here/warmapp.c"
cp "$here/Containerfile" "$ctx/"
${PODMAN:-podman} build -q -t "$1" "$ctx" >/dev/null
[[ ${2:-} != --push ]] || ${PODMAN:-podman} push -q ${PODMAN_PUSH_FLAGS:-} "$1"
echo "$1"
