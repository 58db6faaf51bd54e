#!/usr/bin/env bash
# How soon a spot notice becomes a finalize: tardisctl watch in front of a fake metadata
# service (e2e/fake_metadata.py) on a private containerd (e2e/lib.sh: its own temp dir,
# everything removed at the end), against `tardisctl finalize` run by hand on the same
# containers, interleaved in one run.
#
# Each round, for each count of opted-in counter containers (--counts) and each cloud:
#   by-hand   tardisctl finalize, timed from its start to its end
#   aws       the watcher polls every --interval (AWS's advice: 5 s); the fake starts
#             answering with a notice at a moment unrelated to the polls
#   gcp       the watcher's long poll: the fake answers it as soon as the value changes
# Printed, medians over --rounds (and min/max), in milliseconds: notice -> finalize start
# (the watcher's own record, acted.json's started_unix_nanos), notice -> finalize end
# (finished_unix_nanos), and the finalize itself; "start" is the watcher's reaction, which
# should stay under the interval + 100 ms (AWS) or about 100 ms (GCP).
#
#   bazel run -c opt //bench:watch_bench [-- --rounds 5 --counts "1 20" --interval 5s]  (root)
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

rounds=5
counts="1 20"
interval=5s
bench_options rounds counts interval -- "$@"

begin_test
require_tool jq
require_tool python3
TARDISCTL=$(e2e_binary tardisctl)
FAKE=$(e2e_built fake_metadata.py)
CONFIG=$(write_tardis_config a log_level=INFO)
export TARDIS_CONFIG=$CONFIG
ACTED=$(tardis_config_value "$CONFIG" state_dir)/watch/acted.json
start_containerd a --tardis-config "$CONFIG"
build_busybox_image a

now_ns() { date +%s%N; }
ms_between() { echo $((($2 - $1) / 1000000)); }

FAKE_PID="" FAKE_URL="" WATCH_PID=""
start_fake() {
  rm -f "$E2E_TMP/fake.port"
  python3 "$FAKE" --cloud "$1" --port-file "$E2E_TMP/fake.port" --log "$E2E_TMP/fake-$1.log" >/dev/null 2>&1 &
  FAKE_PID=$!
  wait_for test -s "$E2E_TMP/fake.port"
  FAKE_URL=http://127.0.0.1:$(<"$E2E_TMP/fake.port")
}
stop_fake() { e2e_stop_daemon "fake metadata" "$FAKE_PID" 5; }
set_mode() { curl -sf -X PUT --data "$1" "$FAKE_URL/control/mode" >/dev/null; }
requests() { curl -sf "$FAKE_URL/control/requests"; }
requests_reach() { (($(requests) >= $1)); }
start_watch() {
  rm -f "$ACTED"
  "$TARDISCTL" watch --endpoint "$FAKE_URL" --cloud "$1" --interval "$interval" >>"$E2E_TMP/watch.out" 2>&1 &
  WATCH_PID=$!
  wait_for requests_reach 1
}
stop_watch() { e2e_stop_daemon "tardisctl watch" "$WATCH_PID" 10; }
finished() { grep -q '"finished_unix_nanos": [0-9]' "$ACTED" 2>/dev/null; }

# start_counters PREFIX N: N opted-in counters, counting.
start_counters() {
  local i
  for i in $(seq 1 "$2"); do run_container a "$1-$i" --env TARDIS_ENABLE=1 -- /bin/counter /count; done
  for i in $(seq 1 "$2"); do wait_for count_at_least "$(container_log a "$1-$i")" 2; done
}

declare -A samples=()
add() { samples[$1]="${samples[$1]:-} $2"; }

for round in $(seq 1 "$rounds"); do
  for n in $counts; do
    start_counters "h$round-$n" "$n"
    started=$(now_ns)
    "$TARDISCTL" finalize >/dev/null || fail "finalize by hand failed"
    add "by-hand/$n/finalize" "$(ms_between "$started" "$(now_ns)")"

    for cloud in aws gcp; do
      start_counters "${cloud:0:1}$round-$n" "$n"
      start_fake "$cloud"
      start_watch "$cloud"
      # A moment unrelated to the watcher's polls.
      sleep "0.$((RANDOM % 10))"
      noticed=$(now_ns)
      set_mode notice
      wait_for --timeout 300 finished
      # Nanoseconds since 1970 exceed a double's precision: read them as text, not with jq.
      begun=$(grep -o '"started_unix_nanos": [0-9]*' "$ACTED" | grep -o '[0-9]*$')
      ended=$(grep -o '"finished_unix_nanos": [0-9]*' "$ACTED" | grep -o '[0-9]*$')
      add "$cloud/$n/start" "$(ms_between "$noticed" "$begun")"
      add "$cloud/$n/end" "$(ms_between "$noticed" "$ended")"
      add "$cloud/$n/finalize" "$(ms_between "$begun" "$ended")"
      stop_watch
      stop_fake
    done
    log "round $round, $n containers done"
  done
done

stats() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
{
  echo
  echo "tardisctl watch: notice to finalize, $rounds rounds, poll interval $interval (AWS), $(nproc) CPUs"
  printf '%-28s %8s %8s %8s   (milliseconds)\n' "what" median min max
  for n in $counts; do
    for key in "by-hand/$n/finalize" "aws/$n/start" "aws/$n/end" "aws/$n/finalize" "gcp/$n/start" "gcp/$n/end" "gcp/$n/finalize"; do
      read -r median min max <<<"$(stats "${samples[$key]}")"
      printf '%-28s %8d %8d %8d\n' "$key" "$median" "$min" "$max"
    done
  done
  echo "(start: from the fake's first notice answer to the watcher's finalize start; end: to its end;"
  echo " by-hand: tardisctl finalize of the same number of containers, no watcher)"
}
finish_test
