#!/usr/bin/env bash
# tardis-listen and the image clean-up rule, on a real containerd (SPEC.md "Exit codes").
#
# 1. An opted-in container restored from an image that exits 0 loses its image at
#    delete; one that exits non-zero, or is killed, keeps it.
# 2. 100 consecutive `ctr run --rm` of opted-in containers that exit 0, each with an
#    image on disk: none is left.
# 3. containerd restarted while the listener runs: later exits are still recorded.
# 4. The listener killed: the next opted-in create starts a new one.
# 5. No listener can run: delete keeps the image, and the log says why.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/listener_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
start_node a
IMAGES=$E2E_TMP/checkpoints/$E2E_NAMESPACE
OPT_IN=(--env TARDIS_ENABLE=1)

# with_image ID CMD...: runs CMD opted in, checkpoints it and removes it: ID has an image,
# and running ID again restores CMD where it was.
with_image() {
  local id=$1; shift
  run_container a "$id" "${OPT_IN[@]}" -- "$@"
  wait_for task_status_is a "$id" RUNNING
  sleep 0.5
  checkpoint_container a "$id" container
  delete_stopped a "$id"
  assert_file_exists "$IMAGES/$id/manifest.json"
}

# run_until_exit ID CMD...: runs ID again (restored) and waits until it has exited.
run_until_exit() {
  local id=$1; shift
  run_container a "$id" "${OPT_IN[@]}" -- "$@"
  wait_for task_status_is a "$id" STOPPED
}

# listener_runs / no_listener_runs: conditions for wait_for (evaluated on every poll).
listener_runs() { [[ -n $(listener_pid a) ]]; }
no_listener_runs() { [[ -z $(listener_pid a) ]]; }

# ---------------------------------------------------------------------------------------
log "--- 1. the exit code decides"
with_image done0 /bin/counter /count 25
run_until_exit done0 /bin/counter /count 25
delete_stopped a done0
assert_file_missing "$IMAGES/done0"
assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/done0: exited 0: the job is done; deleted its image"

with_image fails sh -c 'sleep 2; exit 3'
run_until_exit fails sh -c 'sleep 2; exit 3'
delete_stopped a fails
assert_file_exists "$IMAGES/fails/manifest.json"
assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/fails: exited 3; keeping the image"

with_image killed /bin/counter /count
run_container a killed "${OPT_IN[@]}" -- /bin/counter /count
wait_for task_status_is a killed RUNNING
ctr_ a tasks kill -s SIGKILL killed
wait_for task_status_is a killed STOPPED
delete_stopped a killed
assert_file_exists "$IMAGES/killed/manifest.json"
assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/killed: exited 137; keeping the image"

# ---------------------------------------------------------------------------------------
log "--- 2. 100 x ctr run --rm, each with an image"
# Each gets a copy of a real image on disk. It is another container's, so create finds
# it and judges it invalid (fresh create, which is fast): what is tested is that no image
# outlives a job that finished, with deletes racing the exit events.
for i in $(seq 1 100); do
  cp -a "$IMAGES/killed" "$IMAGES/rm-$i"
done
for i in $(seq 1 100); do
  run_container a "rm-$i" "${OPT_IN[@]}" --foreground --rm -- /bin/counter /count 1 >/dev/null ||
    fail "ctr run --rm rm-$i failed"
done
left=$(cd "$IMAGES" && ls -d rm-* .rm-* 2>/dev/null || true)
assert_eq "" "$left" "images left after 100 finished jobs"

# ---------------------------------------------------------------------------------------
log "--- 3. containerd restarts under the listener"
listener=$(listener_pid a)
[[ -n $listener ]] || fail "no listener is running"
with_image across /bin/counter /count 60
run_container a across "${OPT_IN[@]}" -- /bin/counter /count 60
wait_for task_status_is a across RUNNING
stop_containerd a
start_containerd a
assert_eq "$listener" "$(listener_pid a)" "the same listener runs on"
wait_for task_status_is a across STOPPED
delete_stopped a across
assert_file_missing "$IMAGES/across"

# ---------------------------------------------------------------------------------------
log "--- 4. the listener killed"
kill -KILL "$listener"
wait_for e2e_gone "$listener"
run_container a restarter "${OPT_IN[@]}" -- /bin/counter /count
wait_for task_status_is a restarter RUNNING
wait_for listener_runs
assert_ne "$listener" "$(listener_pid a)" "a new listener"
remove_container a restarter

log "--- 4b. an exit missed while no listener ran: delete keeps the image, says so, starts one"
with_image gap /bin/counter /count 30
run_container a gap "${OPT_IN[@]}" -- /bin/counter /count 30
wait_for task_status_is a gap RUNNING
listener=$(listener_pid a)
kill -KILL "$listener"
wait_for e2e_gone "$listener"
wait_for task_status_is a gap STOPPED
delete_stopped a gap
assert_file_exists "$IMAGES/gap/manifest.json"
assert_contains "$(cat "$(tardis_log a)")" "WARNING tardis-runc"
assert_contains "$(cat "$(tardis_log a)")" \
  "$E2E_NAMESPACE/gap: no exit code and no listener running; keeping the image ($IMAGES/gap): tardis-listen was not running when it exited; starting one"
wait_for listener_runs

# ---------------------------------------------------------------------------------------
log "--- 5. no listener can run"
kill -TERM "$(listener_pid a)"
wait_for no_listener_runs
# containerd passes its environment on: restart it with a config naming no usable listener.
stop_containerd a
NO_LISTENER=$(write_tardis_config b tardis_listen=/nonexistent/tardis-listen \
  "state_dir=$E2E_TMP/a/tardis-state" "log_file=$E2E_TMP/a/tardis.log" \
  "containerd_address=$(containerd_address a)")
start_containerd a --tardis-config "$NO_LISTENER"
with_image orphan /bin/counter /count 25
run_until_exit orphan /bin/counter /count 25
delete_stopped a orphan
assert_file_exists "$IMAGES/orphan/manifest.json"
assert_contains "$(cat "$(tardis_log a)")" "tardis-listen is not running and cannot be started"
assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/orphan: no exit code and no listener running; keeping the image"

finish_test
