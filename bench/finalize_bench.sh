#!/usr/bin/env bash
# How long `tardisctl finalize` takes on this machine, and so how many opted-in containers
# a node can save within a spot instance's two-minute reclaim notice.
#
# For each count (default 1, 10, 20 and 50), that many small opted-in counter containers
# (e2e/workloads/counter: a few hundred KiB of memory each) run on a private containerd
# (e2e/lib.sh: its own temp dir and namespace, everything removed at the end); then
# `tardisctl finalize --json` checkpoints and deletes them all. Printed: the wall time of
# the whole finalize, the containers done per second, and each container's own
# checkpoint time (from finalize's report: ctr checkpoint to container deleted), mean and
# max. The 120 s estimate extrapolates linearly from the largest count's rate.
#
#   bazel run //bench:finalize_bench                      (as root)
#   bazel run //bench:finalize_bench -- --counts "1 10 20 50 100" --parallel 4
# Not a test: it asserts nothing about time (CONTRIBUTING.md).
set -euo pipefail

# bench/lib.sh (the e2e harness, the binaries, the options): from the runfiles, else beside
# this script in the tree.
for BENCH_LIB in ${RUNFILES_DIR:+"$RUNFILES_DIR/tardis/bench/lib.sh"} "$0.runfiles/tardis/bench/lib.sh" \
  "$(dirname "${BASH_SOURCE[0]}")/lib.sh"; do
  [[ -f $BENCH_LIB ]] && break
done
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_LIB"

counts="1 10 20 50"
parallel=""
bench_options counts parallel -- "$@"

begin_test
require_tool jq
TARDISCTL=$(e2e_binary tardisctl)
export TARDIS_CONFIG
TARDIS_CONFIG=$(write_tardis_config a log_level=WARNING)
start_containerd a
build_busybox_image a

now_ns() { date +%s%N; }

results=()
for n in $counts; do
  log "--- $n containers"
  for i in $(seq 1 "$n"); do
    run_container a "r$n-$i" --env TARDIS_ENABLE=1 -- /bin/counter /count
  done
  for i in $(seq 1 "$n"); do
    wait_for --timeout 120 task_status_is a "r$n-$i" RUNNING
    wait_for --timeout 120 count_at_least "$(container_log a "r$n-$i")" 2
  done
  started=$(now_ns)
  report=$("$TARDISCTL" finalize --json ${parallel:+--parallel "$parallel"}) || true
  wall_ms=$((($(now_ns) - started) / 1000000))
  checkpointed=$(jq .checkpointed <<<"$report")
  [[ $checkpointed == "$n" ]] || fail "finalize checkpointed $checkpointed of $n:"$'\n'"$report"
  read -r mean max <<<"$(jq -r '[.containers[].duration_ms] | "\(add / length | floor) \(max)"' <<<"$report")"
  results+=("$n $wall_ms $mean $max $(jq .parallel <<<"$report")")
done

{
  echo
  echo "tardisctl finalize on $(nproc) CPUs ($(uname -r)); small counter containers (e2e/workloads/counter)"
  printf '%-11s %-9s %-14s %-21s %-20s %s\n' containers parallel "finalize wall" "containers/second" "per container: mean" "max"
  for line in "${results[@]}"; do
    read -r n wall mean max par <<<"$line"
    printf '%-11s %-9s %-14s %-21s %-20s %s\n' "$n" "$par" "$(awk -v ms="$wall" 'BEGIN { printf "%.2f s", ms / 1000 }')" \
      "$(awk -v n="$n" -v ms="$wall" 'BEGIN { printf "%.1f", n * 1000 / ms }')" \
      "$(awk -v ms="$mean" 'BEGIN { printf "%.2f s", ms / 1000 }')" "$(awk -v ms="$max" 'BEGIN { printf "%.2f s", ms / 1000 }')"
  done
  read -r n wall _ _ par <<<"${results[-1]}"
  fit=$(awk -v n="$n" -v ms="$wall" 'BEGIN { printf "%d", 120 * n * 1000 / ms }')
  echo
  echo "In a 120 s spot notice: about $fit such containers (linear extrapolation from $n containers" \
    "in $(awk -v ms="$wall" 'BEGIN { printf "%.2f", ms / 1000 }') s at parallel $par; bigger containers take longer: CRIU writes their memory)."
}

finish_test
