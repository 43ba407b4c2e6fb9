#!/usr/bin/env bash
# Forensics without a runtime: list what a checkpoint holds, from an archive, a layout or a
# registry, then get the archive back for analysis tools (checkpointctl, crit).
set -euo pipefail
ckimg inspect "$1"
ckimg export "$1" ./recovered-checkpoint.tar
tar -tvf ./recovered-checkpoint.tar | head
