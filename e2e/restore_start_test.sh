#!/usr/bin/env bash
# A restored job that ends at once (SPEC.md "Lifecycle", create and start). Tardis
# restores at create; containerd starts the container later, and its shim refuses to
# start a process that has already ended. So create leaves the restored tasks stopped
# and containerd's start continues them: the job's exit is the container's exit, round
# after round, never "cannot start a stopped process".
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/restore_start_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
start_node a
IMAGE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/quick
# exit_when_restored 0: once restored, it exits 3 at once (3: the image stays).
JOB=(--env TARDIS_ENABLE=1 --env TARDIS_CHECKPOINT_ID=quick)

run_container a seed "${JOB[@]}" -- /bin/exit_when_restored 0
wait_for task_status_is a seed RUNNING
checkpoint_container a seed task
delete_stopped a seed
assert_file_exists "$IMAGE/manifest.json"
sleep 1.1  # the restored process sees the jump of the clock it waits for

for round in 1 2 3; do
  run run_container a "quick$round" --foreground "${JOB[@]}" -- /bin/exit_when_restored 0
  assert_eq "" "$errors" "what ctr says in round $round"
  assert_status 3 "round $round: the job's own exit status"
  assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/quick$round: restored from $IMAGE"
  assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/quick$round: started: continued the restored container's"
  ctr_ a tasks rm "quick$round" >/dev/null 2>&1 || true
  ctr_ a containers rm "quick$round"
  assert_file_exists "$IMAGE/manifest.json"
  sleep 1.1
done

finish_test
