#!/usr/bin/env bash
# tardisctl finalize and status on a real node (SPEC.md "Parts": what a spot-reclaim
# warning triggers).
#
# 1. 20 opted-in counter containers run on one node, beside one that does not opt in.
#    `tardisctl status` shows them all RUNNING, the listener alive, no images.
# 2. One more opted-in container holds an established TCP connection (between two of its
#    own processes), which CRIU refuses to dump without --tcp-established: `tardisctl finalize` checkpoints the 20 through containerd and deletes them
#    (no task, container or checkpoint image of theirs is left in containerd), reports the
#    one it could not save as failed, exits non-zero, and leaves that one running; a
#    paused opted-in container is checkpointed as it is; the container that does not opt
#    in is not touched.
# 3. `tardisctl status` then shows their images, valid.
# 4. finalize again: nothing to do, exit 0, the images untouched.
# 5. Each of them run again is restored: its count goes on from where it stopped.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/finalize_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
require_tool jq
TARDISCTL=$(e2e_binary tardisctl)
start_node a
IMAGES=$E2E_TMP/checkpoints/$E2E_NAMESPACE
OPT_IN=(--env TARDIS_ENABLE=1)
N=20
IDS=()
for i in $(seq 1 "$N"); do IDS+=("c$i"); done


# tardisctl ARGS...: runs tardisctl (with this node's TARDIS_CONFIG) through `run`.
tardisctl() { run "$TARDISCTL" "$@"; }

# ---------------------------------------------------------------------------------------
log "--- 1. $N opted-in counters and one that does not opt in"
for id in "${IDS[@]}"; do
  run_container a "$id" "${OPT_IN[@]}" --log "$E2E_TMP/$id.1.log" -- /bin/counter /count
done
run_container a plain --log "$E2E_TMP/plain.log" -- /bin/counter /count
for id in "${IDS[@]}" plain; do wait_for task_status_is a "$id" RUNNING; done
for id in "${IDS[@]}"; do wait_for count_at_least "$E2E_TMP/$id.1.log" 3; done

tardisctl status --json
assert_status 0 "tardisctl status"
before=$output
assert_eq true "$(jq -r .listener.alive <<<"$before")" "the listener is alive"
assert_eq "$(listener_pid a)" "$(jq -r .listener.pid <<<"$before")" "the listener's pid"
assert_eq "$N" "$(jq '.containers | length' <<<"$before")" "opted-in containers in status"
assert_eq "$N" "$(jq --arg ns "$E2E_NAMESPACE" \
  '[.containers[] | select(.namespace == $ns and .opted_in and .task == "RUNNING" and (.image.present | not))] | length' \
  <<<"$before")" "opted-in, RUNNING, without an image"
tardisctl status
assert_status 0
assert_contains "$output" "tardis-listen: alive (pid $(listener_pid a))"
assert_not_contains "$output" " plain "

# ---------------------------------------------------------------------------------------
log "--- 2. finalize, with one container CRIU cannot dump"
# tcp_established ID: the container has an established TCP connection (state 01).
tcp_established() {
  ctr_ a tasks exec --exec-id "probe-$RANDOM$RANDOM" "$1" sh -c "cat /proc/net/tcp /proc/net/tcp6 | awk '\$4 == \"01\"' | grep -q ."
}
# The connection's two ends are children of the container's init: CRIU dumps the init's
# process tree (an exec'd process is not in it, and would not stop the checkpoint).
run_container a tcp "${OPT_IN[@]}" --log "$E2E_TMP/tcp.log" -- sh -c \
  '(sleep 100000 | nc -l -p 9000 >/dev/null) & sleep 0.5; (sleep 100000 | nc 127.0.0.1 9000 >/dev/null) & exec /bin/counter /count'
wait_for task_status_is a tcp RUNNING
wait_for tcp_established tcp
# A paused one is checkpointed as it is (containerd's `containers checkpoint` would try
# to pause it again and fail).
run_container a paused "${OPT_IN[@]}" --log "$E2E_TMP/paused.1.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/paused.1.log" 3
ctr_ a tasks pause paused
wait_for task_status_is a paused PAUSED

tardisctl finalize --json
assert_status 1 "finalize with a container it could not save"
report=$output
assert_eq "$((N + 1))" "$(jq .checkpointed <<<"$report")" "checkpointed"
assert_eq 1 "$(jq .failed <<<"$report")" "failed"
assert_eq 0 "$(jq .skipped <<<"$report")" "skipped"
assert_eq "$((N + 2))" "$(jq '.containers | length' <<<"$report")" "containers in the report"
failure=$(jq -r '.containers[] | select(.id == "tcp") | "\(.result): \(.reason)"' <<<"$report")
assert_contains "$failure" "failed: checkpoint failed: "
assert_contains "$failure" "left running"
for id in "${IDS[@]}" paused; do
  row=$(jq -c --arg id "$id" '.containers[] | select(.id == $id)' <<<"$report")
  assert_eq checkpointed "$(jq -r .result <<<"$row")" "$id's result ($row)"
  assert_eq "$IMAGES/$id" "$(jq -r .image_dir <<<"$row")" "$id's image"
  (($(jq .image_bytes <<<"$row") > 0)) || fail "$id's image size: $row"
  (($(jq .duration_ms <<<"$row") > 0)) || fail "$id's duration: $row"
  assert_file_exists "$IMAGES/$id/manifest.json"
done

# None of them is left in containerd: no task, no container, no checkpoint image.
tasks=$(ctr_ a tasks ls -q | sort)
assert_eq "$(printf '%s\n' plain tcp | sort)" "$tasks" "tasks left in containerd"
assert_eq "$(printf '%s\n' plain tcp | sort)" "$(ctr_ a containers ls -q | sort)" "containers left in containerd"
assert_eq "$E2E_IMAGE" "$(ctr_ a images ls -q)" "images left in containerd"
# The one CRIU refused, and the one that does not opt in, keep running.
for id in tcp plain; do
  assert_eq RUNNING "$(task_status a "$id")" "$id's task"
  now=$(last_count "$E2E_TMP/$id.log")
  wait_for count_at_least "$E2E_TMP/$id.log" $((now + 3))
done
assert_file_missing "$IMAGES/plain"
assert_contains "$(cat "$(tardis_log a)")" "tardisctl["
assert_contains "$(cat "$(tardis_log a)")" "finalize: $((N + 1)) checkpointed, 1 failed, 0 skipped"

# The human report says the same.
run_container a extra "${OPT_IN[@]}" -- /bin/counter /count
wait_for task_status_is a extra RUNNING
ctr_ a tasks kill -s SIGKILL extra && wait_for task_status_is a extra STOPPED
remove_container a tcp
tardisctl finalize
assert_status 0 "finalize with nothing running"
assert_contains "$output" "skipped: not running (STOPPED)"
assert_contains "$output" "0 checkpointed, 0 failed, 1 skipped"
remove_container a extra

# ---------------------------------------------------------------------------------------
log "--- 3. status after: the images"
tardisctl status --json
assert_status 0
after=$output
assert_eq "$((N + 1))" "$(jq '.containers | length' <<<"$after")" "containers in status after finalize"
for id in "${IDS[@]}" paused; do
  row=$(jq -c --arg id "$id" '.containers[] | select(.id == $id)' <<<"$after")
  assert_eq "false none true true $IMAGES/$id" \
    "$(jq -r '"\(.opted_in) \(.task) \(.image.present) \(.image.valid) \(.image.dir)"' <<<"$row")" "$id after finalize"
  (($(jq .image.bytes <<<"$row") > 0)) || fail "$id's image size: $row"
  (($(jq .image.age_seconds <<<"$row") >= 0)) || fail "$id's image age: $row"
done
tardisctl status
assert_contains "$output" "finalized"

# ---------------------------------------------------------------------------------------
log "--- 4. finalize again: harmless"
images_before=$(tree_snapshot "$IMAGES")
tardisctl finalize --json
assert_status 0 "finalize again"
assert_eq "0 0 0 0" "$(jq -r '"\(.containers | length) \(.checkpointed) \(.failed) \(.skipped)"' <<<"$output")" \
  "finalize again"
assert_eq "$images_before" "$(tree_snapshot "$IMAGES")" "the images after a second finalize"

# ---------------------------------------------------------------------------------------
log "--- 5. run again: each is restored"
for id in "${IDS[@]}" paused; do
  run_container a "$id" "${OPT_IN[@]}" --log "$E2E_TMP/$id.2.log" -- /bin/counter /count
done
for id in "${IDS[@]}" paused; do
  wait_for task_status_is a "$id" RUNNING
  saved=$(last_count "$E2E_TMP/$id.1.log")
  wait_for count_at_least "$E2E_TMP/$id.2.log" $((saved + 2))
  assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/$id.2.log")" "$id's count goes on where it stopped"
done
tardisctl status --json
assert_eq "$((N + 1))" "$(jq '[.containers[] | select(.opted_in and .task == "RUNNING" and .image.valid)] | length' <<<"$output")" \
  "restored containers in status"

for id in "${IDS[@]}" paused plain; do remove_container a "$id"; done
finish_test
