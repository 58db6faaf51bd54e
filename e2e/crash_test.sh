#!/usr/bin/env bash
# A checkpoint whose tardis-runc is killed while runc's checkpoint is at work (SPEC.md
# "Lifecycle", checkpoint): the container must go on, never stop with only an older
# image (issue 13, items 1 and 2).
#
# runc is reached through a wrapper (real_runc in tardis.conf) that, for a checkpoint,
# starts the real runc and then leaves a marker naming its parent, the handler: the test
# kills that handler with SIGKILL while runc dumps. runc finishes on its own, with
# --leave-running, so the container is still there, frozen:
#   1. containerd paused it (`ctr tasks checkpoint --exit`): containerd's resume, after the
#      failed call, thaws it;
#   2. Tardis paused it (runc's checkpoint called directly, as tools do): the pause is
#      journaled, and tardis-listen thaws it within about a second.
# What the orphaned runc dumped stays in a staging image: `tardisctl gc` removes it.
# Either way the job keeps counting, and a later checkpoint and restore work.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/crash_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
WRAPPER=$E2E_TMP/runc-wrapper
MARKS=$E2E_TMP/marks
mkdir -p "$MARKS"
cat >"$WRAPPER" <<WRAP
#!/bin/sh
case " \$* " in
  *" checkpoint "*)
    "$REAL_RUNC" "\$@" &
    runc=\$!
    echo "\$PPID" >"$MARKS/handler.tmp" && mv "$MARKS/handler.tmp" "$MARKS/handler"
    wait "\$runc"
    exit \$? ;;
esac
exec "$REAL_RUNC" "\$@"
WRAP
chmod +x "$WRAPPER"
start_node a "real_runc=$WRAPPER"
IMAGE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/job

# kill_handler_when_runc_runs: waits for the wrapper's marker, SIGKILLs the handler.
kill_handler_when_runc_runs() {
  wait_for test -s "$MARKS/handler"
  local handler
  handler=$(<"$MARKS/handler")
  rm -f "$MARKS/handler"
  log "killing tardis-runc (pid $handler) while runc checkpoints"
  kill -KILL "$handler"
}
counting_on() { local n; n=$(last_count "$E2E_TMP/job.log"); wait_for count_at_least "$E2E_TMP/job.log" $((n + 5)); }

run_container a job --env TARDIS_ENABLE=1 --log "$E2E_TMP/job.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/job.log" 5
pid=$(task_pid a job)

log "--- 1. containerd paused it: the handler dies mid-checkpoint, the job goes on"
ctr_ a tasks checkpoint --exit job >"$E2E_TMP/ctr.out" 2>&1 &
ctr_pid=$!
kill_handler_when_runc_runs
wait "$ctr_pid" && fail "ctr reported a checkpoint whose handler was killed as a success"
counting_on
assert_eq "$pid" "$(task_pid a job)" "the job's process, after its checkpoint's handler died"
assert_file_missing "$IMAGE/manifest.json"
# The orphaned runc finishes its dump into a staging image nobody will publish: a
# leftover `tardisctl gc` removes (the container holds the job's lease, and no checkpoint
# of it is at work).
staging=$(find "$(dirname "$IMAGE")" -maxdepth 1 -name ".job.staging.*" | head -n 1)
[[ -n $staging ]] || fail "no staging image left by the killed checkpoint"
wait_for --timeout 30 grep -q "Dumping finished successfully" "$staging/criu/dump.log"
run "$(e2e_binary tardisctl)" gc
assert_status 0 "tardisctl gc"
assert_contains "$output" "removed $staging"
assert_file_missing "$staging"

log "--- 2. Tardis paused it: the handler dies mid-checkpoint, tardis-listen thaws it"
wait_for test -n "$(listener_pid a)"
"$(e2e_binary tardis-runc)" --root "$(runc_root a)" checkpoint \
  --image-path "$E2E_TMP/direct" job >"$E2E_TMP/direct.out" 2>&1 &
direct_pid=$!
kill_handler_when_runc_runs
wait "$direct_pid" || true
wait_for --timeout 20 grep -q "$E2E_NAMESPACE/job: a checkpoint froze the container and died; thawed it" \
  "$(tardis_log a)"
counting_on
assert_eq "$pid" "$(task_pid a job)" "the job's process, after a thaw by tardis-listen"
assert_file_missing "$(tardis_config_value "$TARDIS_CONFIG" state_dir)/containers/$E2E_NAMESPACE/job/paused-by-tardis"

log "--- 3. the next checkpoint and restore work"
checkpoint_container a job task
wait_for task_status_is a job STOPPED
saved=$(last_count "$E2E_TMP/job.log")
assert_file_exists "$IMAGE/manifest.json"
remove_container a job
run_container a job --env TARDIS_ENABLE=1 --log "$E2E_TMP/job2.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/job2.log" $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/job2.log")" "the job continues from its checkpoint"
remove_container a job

finish_test
