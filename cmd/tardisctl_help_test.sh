#!/usr/bin/env bash
# tardisctl's --help, as built: its own and each command's, generated from the commands'
# option specs, against testdata/tardisctl/help.txt. Also that every usage error names
# the command's --help. TARDIS_UPDATE_GOLDEN=<dir>: write help.txt there and fail.
set -euo pipefail

RUNFILES=${TEST_SRCDIR:?run under bazel test}/${TEST_WORKSPACE:-tardis}
TARDISCTL=$RUNFILES/cmd/tardisctl
GOLDEN=$RUNFILES/testdata/tardisctl/help.txt
T=$(mktemp -d "${TEST_TMPDIR:-/tmp}/help.XXXXXX")
trap 'rm -rf "$T"' EXIT

{
  echo "\$ tardisctl --help"
  "$TARDISCTL" --help
  for command in finalize status install uninstall log watch gc; do
    echo "\$ tardisctl $command --help"
    "$TARDISCTL" "$command" --help
  done
} >"$T/help.txt"

if [[ -n ${TARDIS_UPDATE_GOLDEN:-} ]]; then
  cp "$T/help.txt" "$TARDIS_UPDATE_GOLDEN/help.txt"
  echo "FAIL: wrote $TARDIS_UPDATE_GOLDEN/help.txt: review it, then run again without TARDIS_UPDATE_GOLDEN" >&2
  exit 1
fi
diff -u "$GOLDEN" "$T/help.txt"
echo PASS
