#!/usr/bin/env bash
# Tardis's main job on this machine: a batch job survives the loss of its node.
#
# Sets the machine up (scripts/setup.sh), builds Tardis, then tells the story with two
# private containerd instances standing in for two spot instances that share a
# checkpoint directory (as nodes share a network filesystem). Everything it starts is
# stopped and removed at the end. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
bazel build //cmd:all //e2e/workloads:all 2>&1 | tail -n 1
TARDIS_BIN_DIR=$(bazel info bazel-bin 2>/dev/null)/cmd
TARDIS_E2E_DIR=$(bazel info bazel-bin 2>/dev/null)/e2e
export TARDIS_BIN_DIR TARDIS_E2E_DIR
exec bash scripts/demo_story.sh
