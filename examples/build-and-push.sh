#!/usr/bin/env bash
# Turn the newest kubelet checkpoint of a container into an image and push it, as an operator
# would before restoring the pod on another node. Usage: build-and-push.sh CONTAINER REGISTRY/REPO
set -euo pipefail
container=$1
target=$2
archive=$(ls -t /var/lib/kubelet/checkpoints/checkpoint-*-"$container"-*.tar | head -1)
ckimg validate "$archive"
ckimg build "$archive" -o "oci:/var/lib/ckimg/$container:latest" --push "$target:latest" --json
