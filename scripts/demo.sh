#!/usr/bin/env bash
# Sets up the machine and builds Tardis. The checkpoint/restore demo arrives with the
# lifecycle (issue 3); until then this shows tardis-runc passing a call through to runc.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
bazel build //cmd:tardis-runc
echo "tardis-runc built; it passes this call to the real runc:"
bazel-bin/cmd/tardis-runc --version
echo "The checkpoint/restore demo is not built yet (issue 3)."
