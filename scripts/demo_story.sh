#!/usr/bin/env bash
# The demo itself (run by scripts/demo.sh, which builds what it needs). It uses the
# end-to-end harness (e2e/lib.sh) for its private containerd instances and clean-up.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
last_count() { grep -E '^[0-9]+$' "$1" | tail -n 1; }
first_count() { grep -E '^[0-9]+$' "$1" | head -n 1; }

begin_test
TARDISCTL=$(e2e_binary tardisctl)
A_CONFIG=$(write_tardis_config a)
B_CONFIG=$(write_tardis_config b)

say "Two nodes, A and B: private containerd instances that run containers through tardis-runc and share one checkpoint directory ($E2E_TMP/checkpoints)."
start_containerd a --tardis-config "$A_CONFIG"
start_containerd b --tardis-config "$B_CONFIG"
build_busybox_image a
build_busybox_image b

say "On node A, a long batch job starts. It counts in memory, once every 100 ms, and prints the count. It opts in with TARDIS_ENABLE=1 in its own environment; nothing else about it changes."
run_container a job --env TARDIS_ENABLE=1 --log "$E2E_TMP/job.a.log" -- /bin/counter /count
sleep 4
echo "node A, job output so far: ... $(grep -E '^[0-9]+$' "$E2E_TMP/job.a.log" | tail -n 5 | tr '\n' ' ')"

say "A spot-reclaim notice arrives for node A. 'tardisctl finalize' checkpoints every opted-in container through containerd (process state with CRIU, plus its writable files) and stops it."
TARDIS_CONFIG=$A_CONFIG "$TARDISCTL" finalize
saved=$(last_count "$E2E_TMP/job.a.log")
echo
TARDIS_CONFIG=$A_CONFIG "$TARDISCTL" status

say "Node A is reclaimed: containerd, its shims and its containers are gone."
kill_node a

say "The orchestrator runs the same container (same id, same env) on node B. tardis-runc finds the checkpoint and restores it instead of starting fresh."
run_container b job --env TARDIS_ENABLE=1 --log "$E2E_TMP/job.b.log" -- /bin/counter /count
sleep 3
echo "node B, job output: $(grep -E '^[0-9]+$' "$E2E_TMP/job.b.log" | head -n 5 | tr '\n' ' ')..."
resumed=$(first_count "$E2E_TMP/job.b.log")
if [[ $resumed == $((saved + 1)) ]]; then
  say "The job stopped at $saved on node A and went on with $resumed on node B: no work lost."
else
  fail "the job stopped at $saved on node A but started at $resumed on node B"
fi
remove_container b job
finish_test
