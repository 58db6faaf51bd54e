#!/usr/bin/env bash
# What periodic checkpoints cost a running job (SPEC.md "Periodic checkpoints"), on a
# private containerd (e2e/lib.sh: its own temp dir, everything removed at the end).
#
# The job (bench/periodic_bench_helper) keeps MIB MiB of memory dirty and prints its
# progress every 100 ms. For each size in --sizes, --rounds times, interleaved:
#   plain     the job for --window seconds, opted in, no periodic checkpoints
#   periodic  the same with TARDIS_CHECKPOINT_INTERVAL=--interval (default 30s)
# Printed per size: the job's progress rate in each (medians), the slowdown, the
# periodic checkpoints' frozen time as the handler measured it (containerd's pause to
# the publish) and the longest pause in the job's own output (seen from inside), and the
# target: slowdown <= mean frozen time / interval + 1%. A second view of the slowdown
# compares each periodic window with the median of its own seconds.
#
#   bazel run -c opt //bench:periodic_bench [-- --sizes "64 1024" --rounds 2 --window 95 --interval 30s]  (root)
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

sizes="64 1024"
rounds=2
window=95
interval=30s
bench_options sizes rounds window interval -- "$@"

HELPER=${PERIODIC_BENCH_HELPER:-$R/bench/periodic_bench_helper}

begin_test
mkdir -p "$E2E_TMP/helper"
cp "$HELPER" "$E2E_TMP/helper/job"
CONFIG=$(write_tardis_config a log_level=INFO checkpoint_interval_min_ms=1000)
start_containerd a --tardis-config "$CONFIG"
build_busybox_image a
TLOG=$(tardis_log a)

# run_job NAME MIB [ENV...]: the job for $window seconds after its memory is filled;
# prints "<rate units/s> <longest gap ms> <steady pace units/s>".
run_job() {
  local name=$1 mib=$2; shift 2
  local out=$E2E_TMP/$name.log
  local -a env=(--env TARDIS_ENABLE=1)
  local e
  for e in "$@"; do env+=(--env "$e"); done
  run_container a "$name" "${env[@]}" --log "$out" \
    --mount "type=bind,src=$E2E_TMP/helper,dst=/bench,options=rbind:ro" -- /bench/job "$mib"
  wait_for --timeout 120 test -s "$out"
  sleep "$window"
  remove_container a "$name"
  rm -rf "$E2E_TMP/checkpoints/$E2E_NAMESPACE/$name"
  awk -v window="$window" '
    NF == 2 && $1 ~ /^[0-9]+$/ {
      if (!start) { start = $1; first = $2 }
      if ($1 - start > window * 1e9) exit
      if (last && ($1 - last) / 1e6 > gap) gap = ($1 - last) / 1e6
      last = $1; units = $2
      at_second[int(($1 - start) / 1e9)] = $2
    }
    END {
      # The steady pace of the job: the median of its whole seconds (a second holding a
      # checkpoint is among the few slow ones).
      n = 0
      for (s = 1; s in at_second && (s - 1) in at_second; s++) {
        v = at_second[s] - at_second[s - 1]
        for (j = ++n; j > 1 && pace[j - 1] > v; j--) pace[j] = pace[j - 1]
        pace[j] = v
      }
      printf "%.0f %.0f %.0f\n", (units - first) / ((last - start) / 1e9), gap, pace[int((n + 1) / 2)]
    }' "$out"
}

# frozen_of NAME: the frozen times (ms) of NAME's periodic checkpoints, one a line.
frozen_of() { grep "$E2E_NAMESPACE/$1: periodic checkpoint as " "$TLOG" | sed -E 's/.*; frozen ([0-9]+) ms.*/\1/'; }

declare -A samples=()
add() { samples[$1]="${samples[$1]:-} $2"; }
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mean() { printf '%s\n' $1 | awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n; else print 0 }'; }

for round in $(seq 1 "$rounds"); do
  for mib in $sizes; do
    # Odd rounds run plain first, even rounds periodic first: neither always comes after
    # the other.
    kinds="plain periodic"
    ((round % 2)) || kinds="periodic plain"
    for kind in $kinds; do
      name=$kind-$mib-$round
      if [[ $kind == plain ]]; then
        read -r rate gap pace <<<"$(run_job "$name" "$mib")"
      else
        read -r rate gap pace <<<"$(run_job "$name" "$mib" "TARDIS_CHECKPOINT_INTERVAL=$interval")"
        for f in $(frozen_of "$name"); do add "periodic/$mib/frozen" "$f"; done
        add "periodic/$mib/own" "$(awk -v r="$rate" -v p="$pace" 'BEGIN { printf "%.2f", 100 * (1 - r / p) }')"
      fi
      add "$kind/$mib/rate" "$rate"; add "$kind/$mib/gap" "$gap"
    done
    log "round $round, $mib MiB done"
  done
done

interval_ms=$(( $(sed -E 's/s$//' <<<"$interval") * 1000 ))
{
  echo
  echo "periodic checkpoints: a job keeping MIB MiB dirty, ${window}s windows, interval $interval, $rounds round(s), $(nproc) CPUs"
  printf '%-6s %14s %14s %9s %9s %12s %11s %12s %9s\n' MiB "plain units/s" "periodic u/s" slowdown "vs pace" \
    "checkpoints" "frozen ms" "longest gap" target
  for mib in $sizes; do
    plain=$(median "${samples[plain/$mib/rate]}")
    periodic=$(median "${samples[periodic/$mib/rate]}")
    frozen=$(mean "${samples[periodic/$mib/frozen]:-}")
    count=$(printf '%s\n' ${samples[periodic/$mib/frozen]:-} | grep -c . || true)
    slowdown=$(awk -v p="$plain" -v q="$periodic" 'BEGIN { printf "%.1f%%", 100 * (1 - q / p) }')
    target=$(awk -v f="$frozen" -v i="$interval_ms" 'BEGIN { printf "%.1f%%", 100 * f / i + 1 }')
    own=$(median "${samples[periodic/$mib/own]}")
    met=$(awk -v p="$plain" -v q="$periodic" -v f="$frozen" -v i="$interval_ms" \
      'BEGIN { print (1 - q / p <= f / i + 0.01) ? "met" : "NOT met" }')
    printf '%-6s %14s %14s %9s %9s %12s %11s %12s %9s %s\n' "$mib" "$plain" "$periodic" "$slowdown" "$own%" "$count" \
      "$frozen" "$(median "${samples[periodic/$mib/gap]}")" "$target" "$met"
  done
  echo "(slowdown: periodic windows against plain ones, interleaved (the target is judged on it);"
  echo " vs pace: the periodic window's rate against the median of its own seconds, a second view"
  echo " that drift between windows cannot bias, but that a job whose pace wanders (1 GiB) can;"
  echo " frozen: the handler's figure, mean per checkpoint; longest gap: the job's longest silence"
  echo " with periodic checkpoints; the plain run's longest gap, for scale: $(for mib in $sizes; do printf '%s MiB %s ms  ' "$mib" "$(median "${samples[plain/$mib/gap]}")"; done))"
}
finish_test
