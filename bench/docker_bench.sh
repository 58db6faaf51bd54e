#!/usr/bin/env bash
# A Docker container's round trip through Tardis against Docker's own checkpoint and
# restore with plain runc, interleaved in one run on one private containerd + dockerd
# (e2e/lib.sh: its own temp dir, everything removed at the end).
#
# Each round, for a counter container (e2e/workloads/counter) that has written
# --layer-mib MiB into its writable layer:
#   runc     runtime runc:   docker checkpoint create (CRIU's dump only; the writable
#            layer stays on this node), then docker start --checkpoint
#   tardis   runtime tardis, opted in: tardisctl finalize (CRIU's dump plus the writable
#            layer, a portable, durable image), then docker start (restores from it)
# Printed: the medians and min/max of each step and the ratios tardis / runc. The work
# differs (Tardis also saves the writable layer, fsyncs and publishes atomically): the
# ratio is what that costs a Docker user.
#
#   bazel run -c opt //bench:docker_bench [-- --rounds 7 --layer-mib 64]   (as root)
# Not a test: it asserts nothing about time.
set -euo pipefail

# bench/lib.sh (the e2e harness, the binaries, the options): from the runfiles, else beside
# this script in the tree.
for BENCH_LIB in ${RUNFILES_DIR:+"$RUNFILES_DIR/tardis/bench/lib.sh"} "$0.runfiles/tardis/bench/lib.sh" \
  "$(dirname "${BASH_SOURCE[0]}")/lib.sh"; do
  [[ -f $BENCH_LIB ]] && break
done
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_LIB"

rounds=7
layer_mib=64
bench_options rounds layer_mib -- "$@"

begin_test
require_tool jq
TARDISCTL=$(e2e_binary tardisctl)
CONFIG=$(write_tardis_config a log_level=INFO)
start_containerd a --tardis-config "$CONFIG"
start_dockerd a
build_docker_image a

now_ms() { echo $(($(date +%s%N) / 1000000)); }
running() { [[ $(docker_ a inspect -f '{{.State.Status}}' "$1") == running ]]; }
stopped() { [[ $(docker_ a inspect -f '{{.State.Status}}' "$1") == exited ]]; }
# A job with memory to save and files in its writable layer.
JOB=(sh -c "dd if=/dev/urandom of=/data bs=1M count=$layer_mib 2>/dev/null; exec /bin/counter /count")
docker_ a run -d --name plain --network none "$E2E_IMAGE" "${JOB[@]}" >/dev/null
docker_ a run -d --name job --runtime tardis --network none -e TARDIS_ENABLE=1 -e TARDIS_CHECKPOINT_ID=bench \
  "$E2E_IMAGE" "${JOB[@]}" >/dev/null
ready() { grep -qx 2 <<<"$(docker_ a logs "$1" 2>/dev/null)"; }
last() { docker_ a logs --tail 1 "$1" 2>/dev/null; }
# counted_past NAME N: the job runs again, past N (outside the timed steps).
counted_past() { local n; n=$(last "$1"); [[ $n =~ ^[0-9]+$ ]] && ((n > $2)); }
wait_for --timeout 120 ready plain
wait_for --timeout 120 ready job

declare -a runc_save=() runc_restore=() tardis_save=() tardis_restore=()
for round in $(seq 1 "$rounds"); do
  started=$(now_ms)
  docker_ a checkpoint create plain "cp$round" >/dev/null
  wait_for stopped plain
  runc_save+=($(($(now_ms) - started)))
  started=$(now_ms)
  docker_ a start --checkpoint "cp$round" plain >/dev/null
  wait_for running plain
  runc_restore+=($(($(now_ms) - started)))
  wait_for --timeout 60 counted_past plain "$(last plain)"

  started=$(now_ms)
  TARDIS_CONFIG=$CONFIG "$TARDISCTL" finalize >/dev/null
  wait_for stopped job
  tardis_save+=($(($(now_ms) - started)))
  started=$(now_ms)
  docker_ a start job >/dev/null
  wait_for running job
  tardis_restore+=($(($(now_ms) - started)))
  wait_for --timeout 60 counted_past job "$(last job)"
  log "round $round: runc ${runc_save[-1]} + ${runc_restore[-1]} ms, tardis ${tardis_save[-1]} + ${tardis_restore[-1]} ms"
done

restores=$(grep -c "restored from" "$(tardis_log a)" || true)
[[ $restores == "$rounds" ]] || fail "Tardis restored $restores times in $rounds rounds:"$'\n'"$(tail -n 20 "$(tardis_log a)")"
image_bytes=$(du -sb "$E2E_TMP/checkpoints/moby/bench" | cut -f1)

stats() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
row() {
  local name=$1 median min max; shift
  read -r median min max <<<"$(stats "$@")"
  printf '%-34s %8d %8d %8d\n' "$name" "$median" "$min" "$max"
  echo "$median" >"$E2E_TMP/median.$name"
}
{
  echo
  echo "Docker $(docker_ a version -f '{{.Server.Version}}'), $rounds rounds, a counter with $layer_mib MiB in its writable layer, $(nproc) CPUs"
  printf '%-34s %8s %8s %8s   (milliseconds)\n' step median min max
  row runc-checkpoint "${runc_save[@]}"
  row runc-restore "${runc_restore[@]}"
  row tardis-finalize "${tardis_save[@]}"
  row tardis-restore "${tardis_restore[@]}"
  ratio() { awk -v a="$(cat "$E2E_TMP/median.$1")" -v b="$(cat "$E2E_TMP/median.$2")" 'BEGIN { printf "%.2f", a / b }'; }
  echo
  echo "tardis / runc (medians): save $(ratio tardis-finalize runc-checkpoint), restore $(ratio tardis-restore runc-restore)"
  echo "(runc: Docker's own, CRIU's dump only, on this node; tardis: also the writable layer, durable and portable;"
  echo " Tardis's image: $((image_bytes / 1048576)) MiB, restored $restores times)"
}
docker_ a rm -f plain job >/dev/null
finish_test
