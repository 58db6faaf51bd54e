#!/usr/bin/env bash
# Pass-through: for a container that has not opted in, tardis-runc must be invisible.
#
# One private containerd; the same scenario runs twice, once with the real runc as the
# shim's runc binary and once with tardis-runc. Everything observable is recorded (ctr's
# output, stderr and exit codes, task states, the container's stdout, files in its rootfs,
# the events containerd publishes) and the two records must match once pids, container
# ids, timestamps and temp paths are normalized. Then tardis-runc's own side: it prints
# nothing of its own, and its DEBUG log shows each call passed through.
#
# Run directly (as root): bazel build //cmd:tardis-runc &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd bash e2e/passthrough_test.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
TARDIS_RUNC=$(e2e_binary tardis-runc)
start_node a log_level=DEBUG

OBS=$E2E_TMP/observed
mkdir -p "$OBS"
E2E_ARTIFACTS+=("$OBS")

# record FILE LABEL CMD...: runs CMD and appends its exit code, stdout and stderr to FILE.
record() {
  local file=$1 label=$2; shift 2
  run "$@"
  {
    echo "== $label"
    echo "exit: $status"
    [[ -z $output ]] || printf 'stdout:\n%s\n' "$output"
    [[ -z $errors ]] || printf 'stderr:\n%s\n' "$errors"
  } >>"$file"
}

# note FILE LABEL TEXT: appends an observation that is not a command's result.
note() { printf '== %s\n%s\n' "$2" "$3" >>"$1"; }

# The container: prints to stdout and stderr, writes a file, shows a SIGTERM it survives,
# and idles in an interruptible wait.
# shellcheck disable=SC2016  # the container's shell expands these, not this one
CONTAINER_SCRIPT='echo "started $GREETING"; echo "to stderr" >&2; echo content >/data.txt
trap "echo got-term" TERM
while :; do sleep 1000 & wait $!; done'

# scenario VARIANT RUNC: the whole life of a container, observed into $OBS/VARIANT.
scenario() {
  local variant=$1 runc=$2
  local out=$OBS/$variant.txt id=pt-$variant
  local rootfs
  log "--- scenario with $variant ($runc)"
  watch_events a "$OBS/$variant.events"

  record "$out" "ctr run -d" run_container a "$id" --runc "$runc" --env GREETING=hello -- sh -c "$CONTAINER_SCRIPT"
  wait_for task_status_is a "$id" RUNNING
  rootfs=$(container_rootfs a "$id")
  wait_for test -s "$rootfs/data.txt"
  wait_for grep -q 'to stderr' "$(container_log a "$id")"
  note "$out" "status after run" "$(task_status a "$id")"
  note "$out" "rootfs /data.txt" "$(cat "$rootfs/data.txt")"
  note "$out" "upperdir" "$(cd "$(container_upperdir a "$id")" && find . -printf '%p %y %m\n' | sort)"

  record "$out" "exec" ctr_ a tasks exec --exec-id ok "$id" sh -c 'echo out; echo err >&2; cat /data.txt; exit 5'
  # shellcheck disable=SC2016
  record "$out" "exec env" ctr_ a tasks exec --exec-id env "$id" sh -c 'echo $GREETING; pwd; id'
  record "$out" "exec of a missing binary" ctr_ a tasks exec --exec-id missing "$id" /nonexistent
  record "$out" "ps" ctr_ a tasks ps "$id"
  record "$out" "tasks ls" ctr_ a tasks ls
  record "$out" "containers ls" ctr_ a containers ls -q

  record "$out" "pause" ctr_ a tasks pause "$id"
  note "$out" "status after pause" "$(task_status a "$id")"
  record "$out" "resume" ctr_ a tasks resume "$id"
  note "$out" "status after resume" "$(task_status a "$id")"

  record "$out" "kill SIGTERM" ctr_ a tasks kill -s SIGTERM "$id"
  wait_for grep -q got-term "$(container_log a "$id")"
  note "$out" "status after SIGTERM" "$(task_status a "$id")"
  record "$out" "kill SIGKILL" ctr_ a tasks kill -s SIGKILL "$id"
  wait_for task_status_is a "$id" STOPPED
  # ctr 1.6 has no `tasks wait`: the exit status is in containerd's /tasks/exit event.
  local exit_event="/tasks/exit {\"container_id\":\"$id\",\"id\":\"$id\""
  wait_for grep -qF "$exit_event" "$OBS/$variant.events"
  note "$out" "exit status (/tasks/exit)" \
    "$(grep -F "$exit_event" "$OBS/$variant.events" | sed -E 's/.*"exit_status":([0-9]+).*/\1/')"
  record "$out" "tasks ls after exit" ctr_ a tasks ls
  note "$out" "rootfs after exit" "$(cat "$rootfs/data.txt")"

  record "$out" "tasks rm" ctr_ a tasks rm "$id"
  record "$out" "containers rm" ctr_ a containers rm "$id"
  record "$out" "containers ls after rm" ctr_ a containers ls -q
  # stdout and stderr are two pipes into one log file: their lines interleave by chance.
  note "$out" "container stdout+stderr (log file, sorted)" "$(sort "$(container_log a "$id")")"

  # Failures must look the same too.
  record "$out" "run in the foreground, exit 3" \
    run_container a "$id-exit3" --runc "$runc" --foreground --rm -- sh -c 'echo bye; echo oops >&2; exit 3'
  record "$out" "run a missing command" run_container a "$id-bad" --runc "$runc" -- /nonexistent
  record "$out" "containers ls after the failed run" ctr_ a containers ls -q
  record "$out" "tasks ls after the failed run" ctr_ a tasks ls
  if container_exists a "$id-bad"; then record "$out" "containers rm bad" ctr_ a containers rm "$id-bad"; fi

  # The last event of the scenario, then stop listening.
  wait_for grep -qF "/containers/delete {\"id\":\"$id-bad\"}" "$OBS/$variant.events"
  stop_watching_events a
  note "$out" "events (sorted: the shim publishes them asynchronously)" \
    "$(grep -v /namespaces/update "$OBS/$variant.events" | sed -E 's/^[-0-9]+ [0-9:.]+ [+-][0-9]+ [A-Z]+ //' | normalize "$variant" "$runc" | sort)"
}

# normalize VARIANT RUNC: stdin to stdout with what may differ between runs made equal.
normalize() {
  local variant=$1 runc=$2
  sed -E \
    -e "s|$E2E_TMP|<TMP>|g" \
    -e "s|$runc|<RUNC>|g" \
    -e "s|pt-$variant|<ID>|g" \
    -e 's/time="[^"]*"/time="<T>"/g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?/<TS>/g' \
    -e 's/"(pid|seconds|nanos)":[0-9]+/"\1":<N>/g' \
    -e 's|snapshots/[0-9]+/|snapshots/<N>/|g' \
    -e 's|/fifo/[0-9]+/|/fifo/<N>/|g' \
    -e 's/("type_url":"containerd.runc.v1.Options","value":)"[^"]*"/\1"<options naming the runc binary>"/g' \
    -e 's/[ \t]+$//; s/([^ \t])[ \t]{2,}/\1 /g'
}

# Pids in `ctr tasks ls` / `ctr tasks ps` tables.
normalize_pids() {
  awk '
    /^== / { table = ($0 ~ /^== (ps|tasks ls)/) }
    table && $0 ~ /^<ID>[ \t]+[0-9]+[ \t]/ { sub(/[0-9]+/, "<PID>") }
    table && $0 ~ /^[0-9]+[ \t]+/ { sub(/^[0-9]+/, "<PID>") }
    { print }'
}

scenario runc "$REAL_RUNC"
scenario tardis "$TARDIS_RUNC"
# (A pass with an opted-in container, TARDIS_ENABLE=1, joins once the lifecycle exists.)

log "comparing the two runs"
normalize runc "$REAL_RUNC" <"$OBS/runc.txt" | normalize_pids >"$OBS/runc.normalized"
normalize tardis "$TARDIS_RUNC" <"$OBS/tardis.txt" | normalize_pids >"$OBS/tardis.normalized"
if ! diff -u --label "with runc" --label "with tardis-runc" "$OBS/runc.normalized" "$OBS/tardis.normalized" >"$OBS/diff"; then
  fail "containerd saw a difference between runc and tardis-runc (normalized; - runc, + tardis-runc):"$'\n'"$(cat "$OBS/diff")"
fi
# Guard against a vacuous comparison: the record has what the scenario promised.
recorded=$(cat "$OBS/tardis.normalized")
assert_contains "$recorded" $'== exec\nexit: 5\nstdout:\nout\ncontent\nstderr:\nerr' "exec's result recorded"
assert_contains "$recorded" $'== exit status (/tasks/exit)\n137' "the exit status after SIGKILL recorded"
assert_contains "$recorded" $'got-term\nstarted hello\nto stderr' "the container's output recorded"
assert_contains "$recorded" $'== run in the foreground, exit 3\nexit: 3\nstdout:\nbye\nstderr:\noops' "the exit-3 run recorded"
assert_contains "$recorded" $'== status after pause\nPAUSED' "pause recorded"
assert_contains "$recorded" '/tasks/exit' "events recorded"
log "both runs match ($(grep -c '^== ' "$OBS/tardis.normalized") observations)"

log "tardis-runc called directly prints exactly what runc prints"
# Both run with argv[0] "runc": runc names itself after argv[0] (usage lines), and
# tardis-runc hands runc its argv unchanged.
as_runc() { local binary=$1; shift; (exec -a runc "$binary" "$@"); }
# runc's log lines carry the second they were written (time="..."): two calls may fall in
# different seconds, so the time is not part of what must match.
without_time() { sed -E 's/time="[^"]*"/time="T"/g' <<<"$1"; }
mkdir -p "$E2E_TMP/direct-root"
for args in "--version" "--root $E2E_TMP/direct-root list" "--root $E2E_TMP/direct-root state nosuch" \
            "--root $E2E_TMP/direct-root nosuchcommand" "--help" "--root $E2E_TMP/direct-root kill"; do
  # shellcheck disable=SC2086  # args are word lists
  run as_runc "$REAL_RUNC" $args
  expected="exit $status"$'\n'"stdout: $output"$'\n'"stderr: $(without_time "$errors")"
  # shellcheck disable=SC2086
  run as_runc "$TARDIS_RUNC" $args
  actual="exit $status"$'\n'"stdout: $output"$'\n'"stderr: $(without_time "$errors")"
  assert_eq "$expected" "$actual" "tardis-runc $args vs runc $args"
done

log "tardis-runc's log shows every call reaching runc, and no warning or error"
TLOG=$(tardis_log a)
assert_file_exists "$TLOG"
# Plain pass-through calls log "pass-through ... <argv>" at DEBUG; the calls Tardis has a
# handler for (create, start, resume, delete) may instead log, at INFO, what they
# received and "running: <runc> <argv>" once the handler declines (not opted in).
for command in create start exec ps pause resume kill delete; do
  grep -E "tardis-runc\[[0-9]+\] (pass-through|running: )" "$TLOG" |
    grep -E -- "--root $(runc_root a) .*[ ]$command( .*)? pt-tardis( |$)" >/dev/null ||
    fail "no line in $TLOG shows the shim's '$command' of pt-tardis going to runc:"$'\n'"$(tail -n 40 "$TLOG")"
done
assert_file_contains "$TLOG" "pass-through" "tardis-runc's log has pass-through lines"
grep -E "tardis-runc\[[0-9]+\] pass-through.* --version$" "$TLOG" >/dev/null ||
  fail "the direct --version call is not logged as passed through:"$'\n'"$(tail -n 20 "$TLOG")"
if grep -E '^[^ ]+ (WARNING|ERROR) ' "$TLOG" >"$E2E_TMP/tardis.unexpected"; then
  fail "tardis-runc logged warnings or errors:"$'\n'"$(head -n 20 "$E2E_TMP/tardis.unexpected")"
fi
# The runc-only scenario never went through tardis-runc.
if grep -q "pt-runc" "$TLOG"; then fail "tardis-runc saw a call for the runc scenario's container"; fi

finish_test
