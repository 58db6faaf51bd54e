#!/usr/bin/env bash
# Runs every test of Tardis: unit and golden tests, end-to-end tests against a private
# containerd with real runc and CRIU, then the core's tests again under ASan and UBSan.
# Needs root (containers, mounts, CRIU). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

bazel test //...
bazel test --config=asan //tardis/...
bazel test --config=ubsan //tardis/...
