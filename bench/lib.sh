# shellcheck shell=bash
# What every bench script on the e2e harness starts with, sourced first thing:
#
#   for BENCH_LIB in ${RUNFILES_DIR:+"$RUNFILES_DIR/tardis/bench/lib.sh"} \
#       "$0.runfiles/tardis/bench/lib.sh" "$(dirname "${BASH_SOURCE[0]}")/lib.sh"; do
#     [[ -f $BENCH_LIB ]] && break
#   done
#   source "$BENCH_LIB"
#
# (Bazel's runfiles under `bazel run` or when run from bazel-bin, else the tree beside the
# script.) It gives:
#   R                the tree it was found in: the runfiles (binaries, workloads) or the
#                    source tree
#   TARDIS_BIN_DIR, TARDIS_E2E_DIR   R/cmd and R/e2e unless already set
#   e2e/lib.sh       sourced: begin_test, start_containerd, ... ($R/e2e/lib.sh)
#   bench_options NAME... -- "$@"    the script's options, and its --help (bench_help)

R=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TARDIS_BIN_DIR=${TARDIS_BIN_DIR:-$R/cmd}
export TARDIS_E2E_DIR=${TARDIS_E2E_DIR:-$R/e2e}
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
source "$R/e2e/lib.sh"

# The script's name in messages: docker_bench, whether run as bazel-bin/bench/docker_bench
# or as bench/docker_bench.sh.
BENCH_NAME=$(basename "$0" .sh)

# bench_help: the script's opening comment (from line 2 to the first line that is not a
# comment), its --help.
bench_help() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

# bench_options NAME... -- ARGS...: each NAME is an option `--NAME VALUE` (underscores
# written as dashes: layer_mib is --layer-mib) that sets the variable NAME, whose default
# the script has set. -h or --help prints the script's opening comment and exits 0;
# anything else is a usage error (exit 2).
bench_options() {
  local -a names=()
  while [[ $1 != -- ]]; do
    names+=("$1")
    shift
  done
  shift
  local name option
  while (($#)); do
    if [[ $1 == -h || $1 == --help ]]; then
      bench_help
      exit 0
    fi
    option=""
    for name in "${names[@]}"; do
      if [[ $1 == "--${name//_/-}" ]]; then option=$name; fi
    done
    [[ -n $option ]] || { echo "$BENCH_NAME: unknown option $1 (see --help)" >&2; exit 2; }
    (($# >= 2)) || { echo "$BENCH_NAME: $1 needs a value (see --help)" >&2; exit 2; }
    printf -v "$option" '%s' "$2"
    shift 2
  done
}
