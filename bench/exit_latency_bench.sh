#!/usr/bin/env bash
# exit_latency_bench: how long after containerd publishes an opted-in container's
# /tasks/exit event tardis-listen has recorded its exit code, and how long `delete` waits
# when the record is not there yet.
#
# A private containerd (e2e/lib.sh: begin_test ... finish_test, which removes everything
# it made), tardis-runc as the runtime, tardis-listen started on demand by the first
# opted-in create (as on a node without the service), log_level INFO.
#
# Phase 1, latency: --exits=N (default 200) opted-in containers, one after another, each
#   `ctr run -d ... --env TARDIS_ENABLE=1 bb /bin/counter /count 1` (exits 0 at once).
#   The task is left undeleted until its exit record
#   <state_dir>/containers/<ns>/<id>/exit.json is there (delete forgets it); then
#   latency = recorded_unix_nanos - event_unix_nanos, where event_unix_nanos is the
#   `ctr events` line's own timestamp (containerd's envelope time) and recorded_unix_nanos
#   is stamped by the listener just before it writes the record. Also shown: the same
#   event to the listener's "recorded" log line (written after the record's write, fsync
#   and rename), and exited_at to the event (containerd's own share). A `ctr events`
#   watcher of the script's own checks that event_unix_nanos is its line's timestamp.
#   Three warm-up containers (the listener starting up) are not counted.
# Phase 2, delete racing the record: --foreground=M (default 100) runs of the same
#   container with `ctr run` in the foreground, which deletes the task as soon as it has
#   exited, so tardis-runc's delete may come before the listener's record. From the
#   Tardis log (one file for tardis-runc and tardis-listen, microsecond timestamps) and
#   the watcher's event lines: whether the record was there when delete was received,
#   and when it was not, how long delete took from receiving the call to its decision
#   (that is its wait for the record, plus the one `runc state` it runs first), and
#   what it decided.
#
# Needs root, containerd, ctr, umoci, busybox (scripts/setup.sh). Usage:
#   bazel --output_base=/tmp/bazel-bench run -c opt //bench:exit_latency_bench -- \
#       [--exits=200] [--foreground=100] [--keep]
# --keep keeps the temp dir (E2E_KEEP) for a post-mortem.
set -euo pipefail

# bench/lib.sh (the e2e harness, the binaries, the options): from the runfiles, else beside
# this script in the tree.
for BENCH_LIB in ${RUNFILES_DIR:+"$RUNFILES_DIR/tardis/bench/lib.sh"} "$0.runfiles/tardis/bench/lib.sh" \
  "$(dirname "${BASH_SOURCE[0]}")/lib.sh"; do
  [[ -f $BENCH_LIB ]] && break
done
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_LIB"

EXITS=200
FOREGROUND=100
WARMUP=3
for arg in "$@"; do
  case $arg in
    --exits=*) EXITS=${arg#*=} ;;
    --foreground=*) FOREGROUND=${arg#*=} ;;
    --keep) export E2E_KEEP=1 ;;
    -h|--help) bench_help; exit 0 ;;
    *) echo "exit_latency_bench: unknown argument $arg (flags: --exits=N --foreground=M --keep --help)" >&2; exit 2 ;;
  esac
done
[[ $EXITS =~ ^[1-9][0-9]*$ && $FOREGROUND =~ ^[0-9]+$ ]] ||
  { echo "exit_latency_bench: --exits must be >= 1, --foreground >= 0" >&2; exit 2; }

begin_test
export TARDIS_CONFIG
TARDIS_CONFIG=$(write_tardis_config a)
STATE_DIR=$(tardis_config_value "$TARDIS_CONFIG" state_dir)
TLOG=$(tardis_config_value "$TARDIS_CONFIG" log_file)
start_containerd a
build_busybox_image a
EVENTS=$E2E_TMP/events.txt
watch_events a "$EVENTS"
OPT_IN=(--env TARDIS_ENABLE=1)

exit_json() { echo "$STATE_DIR/containers/$E2E_NAMESPACE/$1/exit.json"; }
# json_int ID KEY: an integer field of ID's exit.json, digits as written.
json_int() {
  local value
  value=$(grep -o "\"$2\":-\?[0-9]\+" "$(exit_json "$1")" | head -n 1)
  [[ -n $value ]] || fail "no integer $2 in $(exit_json "$1"): $(cat "$(exit_json "$1")")"
  echo "${value#*:}"
}
delete_container() {
  ctr_ a tasks rm "$1" >/dev/null
  ctr_ a containers rm "$1"
}

# ---------------------------------------------------------------------------------------
log "--- warm-up: $WARMUP containers (the first create starts tardis-listen)"
for ((i = 1; i <= WARMUP; i++)); do
  run_container a "w$i" "${OPT_IN[@]}" -- sh -c 'sleep 1'
  wait_for --timeout 30 test -s "$(exit_json "w$i")"
  delete_container "w$i"
done
[[ -n $(listener_pid a) ]] || fail "no tardis-listen is running after the warm-up"

# ---------------------------------------------------------------------------------------
log "--- phase 1: $EXITS exits, each exit record read before its delete"
P1=$E2E_TMP/phase1.txt  # id exit_status exited_at event recorded (nanoseconds)
: >"$P1"
for ((i = 1; i <= EXITS; i++)); do
  id=e$i
  run_container a "$id" "${OPT_IN[@]}" -- /bin/counter /count 1
  wait_for --timeout 30 test -s "$(exit_json "$id")"
  # Not jq: it reads numbers as doubles, which cannot hold nanoseconds since 1970 exactly.
  echo "$id $(json_int "$id" exit_status) $(json_int "$id" exited_at_unix_nanos)" \
    "$(json_int "$id" event_unix_nanos) $(json_int "$id" recorded_unix_nanos)" >>"$P1"
  wait_for task_status_is a "$id" STOPPED
  delete_container "$id"
  ((i % 50 == 0)) && log "  $i/$EXITS"
done

# ---------------------------------------------------------------------------------------
if ((FOREGROUND > 0)); then
  log "--- phase 2: $FOREGROUND foreground runs (ctr deletes the task as soon as it exits)"
  for ((i = 1; i <= FOREGROUND; i++)); do
    run_container a "f$i" "${OPT_IN[@]}" --foreground -- /bin/counter /count 1 >/dev/null ||
      fail "ctr run f$i failed"
    ctr_ a containers rm "f$i"
  done
fi
# The last events and log lines are in once the last exit's line is.
last=e$EXITS
((FOREGROUND > 0)) && last=f$FOREGROUND
poll_until 10 grep -q "/tasks/exit.*\"container_id\":\"$last\"" "$EVENTS" || log "no exit event seen for $last"
sleep 1
stop_watching_events a
cp "$TLOG" "$E2E_TMP/tardis.log.copy"
E2E_ARTIFACTS+=("$EVENTS" "$E2E_TMP/tardis.log.copy" "$P1")

# ---------------------------------------------------------------------------------------
# Analysis. Timestamps become whole seconds since the epoch plus nanoseconds, kept apart
# (awk's doubles cannot hold nanoseconds since 1970 exactly), from
# "2026-11-29T04:42:37.025519Z" (Tardis log) and "2026-11-29 04:42:37.025519123 +0000 UTC"
# (ctr events).
AWK_TIME='
function days(y, m, d) {  # days since 1970-01-01 (civil calendar)
  y -= (m <= 2); era = int((y >= 0 ? y : y - 399) / 400); yoe = y - era * 400
  doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
# DATE "YYYY-MM-DD", TIME "HH:MM:SS[.frac]" (UTC): whole seconds since the epoch; and
# the fraction in nanoseconds.
function secs(date, time,   p, t) {
  split(date, p, "-"); split(time, t, ":")
  return days(p[1] + 0, p[2] + 0, p[3] + 0) * 86400 + t[1] * 3600 + t[2] * 60 + int(t[3])
}
function frac_ns(time,   f) {
  f = index(time, ".") ? substr(time, index(time, ".") + 1) : ""
  while (length(f) < 9) f = f "0"
  return substr(f, 1, 9) + 0
}'

# Event lines of the watcher: "<id> <secs> <ns>" for each /tasks/exit.
awk "$AWK_TIME"'
  # "<date> <time> +0000 UTC <namespace> <topic> <payload>"
  $6 == "/tasks/exit" && match($0, /"container_id":"[^"]*"/) {
    id = substr($0, RSTART + 16, RLENGTH - 17)
    offset = (substr($3, 2, 2) * 3600 + substr($3, 4, 2) * 60) * (substr($3, 1, 1) == "-" ? -1 : 1)
    print id, secs($1, $2) - offset, frac_ns($2)
  }' "$EVENTS" >"$E2E_TMP/exit_events.txt"

# Tardis log lines: "<kind> <id> <secs> <ns> [text]" for listener records, delete calls
# and delete decisions.
awk -v ns="$E2E_NAMESPACE" "$AWK_TIME"'
  {
    split($1, dt, "T"); sub(/Z$/, "", dt[2])
    s = secs(dt[1], dt[2]); f = frac_ns(dt[2])
  }
  $3 ~ /^tardis-listen\[/ && $4 ~ "^" ns "/" && $5 == "recorded" {
    id = substr($4, length(ns) + 2); sub(/:$/, "", id); print "recorded", id, s, f; next
  }
  $3 ~ /^tardis-runc\[/ && $4 == "received:" && ($(NF - 1) == "delete" || ($(NF - 1) ~ /^--?force/ && $(NF - 2) == "delete")) {
    print "delete", $NF, s, f; next
  }
  # HandleDelete'"'"'s decision (image_fate.h): "exited N...", "exit code did not arrive in
  # time...", "no exit code and no listener...".
  $3 ~ /^tardis-runc\[/ && $4 ~ "^" ns "/" && ($5 == "exited" || ($5 == "exit" && $6 == "code") || ($5 == "no" && $6 == "exit")) {
    id = substr($4, length(ns) + 2); sub(/:$/, "", id)
    text = $5; for (k = 6; k <= NF; k++) text = text " " $k
    sub(/;.*/, "", text); sub(/ \(.*/, "", text)  # the decision, without the image path
    print "decided", id, s, f, text
  }' "$TLOG" >"$E2E_TMP/log_events.txt"

# stats NAME: reads one number (milliseconds) a line; prints n, median, p90, p99, max.
stats() {
  sort -g | awk -v name="$1" '
    { v[++n] = $1 }
    function rank(p,   r) { r = int(p / 100 * n + 0.999999); if (r < 1) r = 1; if (r > n) r = n; return v[r] }
    END {
      if (n == 0) { printf "  %-50s %5d\n", name, 0; exit }
      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf "  %-50s %5d %9.3f %9.3f %9.3f %9.3f\n", name, n, med, rank(90), rank(99), v[n]
    }'
}
header() { printf '  %-50s %5s %9s %9s %9s %9s   (milliseconds)\n' "$1" n median p90 p99 max; }

# Phase 1: from exit.json, and the cross-checks.
bad_status=$(awk '$2 != 0' "$P1" | wc -l)
mismatch=$(awk 'FILENAME == ARGV[1] { ev[$1] = 1; next } !($1 in ev)' "$E2E_TMP/exit_events.txt" "$P1" | wc -l)
# event_unix_nanos vs the watcher line's timestamp (same event, the same envelope time).
diffs=$(awk 'FILENAME == ARGV[1] { s[$1] = $2; f[$1] = $3; next }
  !($1 in s) { next }
  { es = substr($4, 1, length($4) - 9) + 0; ef = substr($4, length($4) - 8) + 0; if (es != s[$1] || ef != f[$1]) n++ }
  END { print n + 0 }' "$E2E_TMP/exit_events.txt" "$P1")

echo "exit_latency_bench: $EXITS exits (phase 1) + $FOREGROUND foreground runs (phase 2), one at a time"
echo "  containerd $(containerd --version | awk '{ print $3 }'), runc $("$REAL_RUNC" --version | awk 'NR == 1 { print $3 }'), tardis-runc as runtime, tardis-listen started on demand; log_level INFO; delete_wait_ms default (1000)"
echo "  workload: ctr run [-d] --env TARDIS_ENABLE=1 $E2E_IMAGE ID /bin/counter /count 1 (exits 0 at once)"
echo "  Tardis log: $(grep -c ' ERROR ' "$TLOG" || true) ERROR and $(grep -c ' WARNING ' "$TLOG" || true) WARNING lines"
echo
echo "phase 1: exit record read before delete (exit.json); $(wc -l <"$P1") records, $bad_status with a non-zero exit status;" \
  "the watcher saw $(grep -c '^e[0-9]' "$E2E_TMP/exit_events.txt" || true) of their exit events;" \
  "$mismatch records without one; $diffs with event_unix_nanos != its line's timestamp"
header "latency"
# Differences of nanosecond values: split into seconds and the rest before awk's doubles.
nsdiff() {  # columns A B of $P1 (1-based): (A - B) in milliseconds
  awk -v a="$1" -v b="$2" '{ sa = substr($a, 1, length($a) - 9); na = substr($a, length($a) - 8) + 0
    sb = substr($b, 1, length($b) - 9); nb = substr($b, length($b) - 8) + 0
    printf "%.6f\n", ((sa - sb) * 1e9 + (na - nb)) / 1e6 }' "$P1"
}
nsdiff 5 4 | stats "recorded_unix_nanos - event_unix_nanos"
nsdiff 4 3 | stats "event_unix_nanos - exited_at (containerd)"
nsdiff 5 3 | stats "recorded_unix_nanos - exited_at (exit to record)"
# The "recorded" log line (after write + fsync + rename + dir fsync) vs the event line.
awk 'FILENAME == ARGV[1] { if ($1 == "recorded") { s[$2] = $3; f[$2] = $4 }; next }
  ($1 in s) && $1 ~ /^e[0-9]+$/ { printf "%.6f\n", ((s[$1] - $2) * 1e9 + (f[$1] - $3)) / 1e6 }' \
  "$E2E_TMP/log_events.txt" "$E2E_TMP/exit_events.txt" | stats "event line -> listener's \"recorded\" log line"

if ((FOREGROUND > 0)); then
  # Per foreground container: event, record, first delete call, first decision.
  # "<id> <record - delete received> <decision - delete received> <event -> record> <decision>"
  awk 'FILENAME == ARGV[1] { if ($1 ~ /^f[0-9]+$/ && !($1 in es)) { es[$1] = $2; ef[$1] = $3 }; next }
    $2 !~ /^f[0-9]+$/ { next }
    $1 == "recorded" && !($2 in rs) { rs[$2] = $3; rf[$2] = $4 }
    $1 == "delete" && !($2 in ds) { ds[$2] = $3; df[$2] = $4 }
    $1 == "decided" && !($2 in xs) {
      id = $2; xs[id] = $3; xf[id] = $4
      text = $5; for (k = 6; k <= NF; k++) text = text " " $k; xtext[id] = text
    }
    END {
      for (id in ds) {
        rec = (id in rs) ? ((rs[id] - ds[id]) * 1e9 + (rf[id] - df[id])) / 1e6 : "none"
        dec = (id in xs) ? ((xs[id] - ds[id]) * 1e9 + (xf[id] - df[id])) / 1e6 : "none"
        lat = (id in rs && id in es) ? ((rs[id] - es[id]) * 1e9 + (rf[id] - ef[id])) / 1e6 : "none"
        printf "%s %s %s %s %s\n", id, rec, dec, lat, (id in xs) ? xtext[id] : "(no decision logged)"
      }
    }' "$E2E_TMP/exit_events.txt" "$E2E_TMP/log_events.txt" | sort -V >"$E2E_TMP/phase2.txt"
  runs=$(wc -l <"$E2E_TMP/phase2.txt")
  early=$(awk '$2 != "none" && $2 <= 0' "$E2E_TMP/phase2.txt" | wc -l)
  late=$(awk '$2 != "none" && $2 > 0' "$E2E_TMP/phase2.txt" | wc -l)
  never=$(awk '$2 == "none"' "$E2E_TMP/phase2.txt" | wc -l)
  # A delete that finds no record runs `runc state` (milliseconds) before it polls every
  # 5 ms; one that decides within 2 ms of the call found the record at once (the record is
  # readable before the listener logs it: rename, then directory fsync, then the line).
  waited=$(awk '$2 != "none" && $2 > 0 && $3 != "none" && $3 > 2' "$E2E_TMP/phase2.txt" | wc -l)
  echo
  echo "phase 2: $runs foreground runs with a delete call logged; the listener's \"recorded\" line came" \
    "before delete's \"received\": $early, after: $late, never: $never;" \
    "deletes that waited for the record (decision > 2 ms after the call): $waited"
  echo "  delete's decisions:"
  awk '{ $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); n[$0]++ } END { for (k in n) printf "    %4d  %s\n", n[k], k }' \
    "$E2E_TMP/phase2.txt" | sort -rn
  header "delete"
  awk '$2 != "none" && $2 > 0 && $3 != "none" { print $3 }' "$E2E_TMP/phase2.txt" |
    stats "record logged after the call: call -> decision"
  awk '$2 != "none" && $2 > 0 && $3 != "none" { print $2 }' "$E2E_TMP/phase2.txt" |
    stats "  of which: call -> record logged"
  awk '$2 != "none" && $2 > 0 && $3 != "none" { print $3 - $2 }' "$E2E_TMP/phase2.txt" |
    stats "  of which: record logged -> decision"
  awk '$2 != "none" && $2 <= 0 && $3 != "none" { print $3 }' "$E2E_TMP/phase2.txt" |
    stats "record logged before the call: call -> decision"
  awk '$4 != "none" { print $4 }' "$E2E_TMP/phase2.txt" | stats "event line -> listener's \"recorded\" log line"
fi
echo

finish_test
