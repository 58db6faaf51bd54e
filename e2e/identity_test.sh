#!/usr/bin/env bash
# Checkpoint identities (SPEC.md "Checkpoint identity"): the next container of a job
# restores from the job's image whatever its container id; one live container per job.
#
# 1. A job's container runs on node A with TARDIS_CHECKPOINT_ID=job1; a spot notice
#    (finalize); the job's next container, under a new id, continues the count.
# 2. A second container of the same job at once runs unprotected: one ERROR line names
#    the holder, nothing of the job's image changes, and Tardis does not know it.
# 3. Another node asking for the job while A holds it is refused the same way; then A
#    dies without notice (containerd and shims killed, no delete): once its lease is
#    stale, node B's container of the job takes over and continues from the image.
# 4. The job finishes on B (exit 0): its image and its lease go.
# 5. Without TARDIS_CHECKPOINT_ID, the CRI plugin's annotations name the job.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/identity_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
# A short staleness bound, so that the dead node's lease frees in seconds.
STALE_MS=4000
A_CONFIG=$(write_tardis_config a lease_stale_ms=$STALE_MS)
B_CONFIG=$(write_tardis_config b lease_stale_ms=$STALE_MS)
start_containerd a --tardis-config "$A_CONFIG"
start_containerd b --tardis-config "$B_CONFIG"
build_busybox_image a
build_busybox_image b
TARDISCTL=$(e2e_binary tardisctl)
JOB=(--env TARDIS_ENABLE=1 --env TARDIS_CHECKPOINT_ID=job1)
# The job ends by itself (exit 0) at 200: a restored process keeps its first argv.
LIMIT=200
IMAGE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/job1
LEASE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/.job1.lease

manifest_field() { jq -r ".$1" "$IMAGE/manifest.json"; }
lease_holder() { jq -r '.namespace + "/" + .container_id' "$LEASE" 2>/dev/null; }
# lease_is_stale: the lease's last refresh is older than the bound (node A is gone).
lease_is_stale() {
  local refreshed now
  refreshed=$(jq -r .refreshed_unix_nanos "$LEASE") || return 1
  now=$(date +%s%N)
  (((now - refreshed) / 1000000 > STALE_MS))
}

log "--- 1. the job on node A; finalize; its next container, under a new id, continues"
run_container a first "${JOB[@]}" --log "$E2E_TMP/first.log" -- /bin/counter /count $LIMIT
wait_for count_at_least "$E2E_TMP/first.log" 10
assert_eq "$E2E_NAMESPACE/first" "$(lease_holder)" "the lease's holder"
TARDIS_CONFIG=$A_CONFIG run "$TARDISCTL" status --json
assert_eq job1 "$(jq -r ".containers[] | select(.id == \"first\") | .identity" <<<"$output")" "status shows the identity"
TARDIS_CONFIG=$A_CONFIG run "$TARDISCTL" finalize
assert_status 0
assert_contains "$output" "job1"
saved=$(last_count "$E2E_TMP/first.log")
assert_eq job1 "$(manifest_field identity)" "the image's identity"
assert_eq first "$(manifest_field container_id)" "the container that made it"
assert_file_missing "$LEASE"  # released when finalize deleted the container

run_container a second "${JOB[@]}" --log "$E2E_TMP/second.log" -- /bin/counter /count $LIMIT
wait_for count_at_least "$E2E_TMP/second.log" $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/second.log")" "the count continues under a new id"
assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/second: restored from $IMAGE (made by $E2E_NAMESPACE/first)"
assert_eq "$E2E_NAMESPACE/second" "$(lease_holder)" "the lease's holder"

log "--- 2. a second container of the same job at once runs unprotected"
image_before=$(cd "$IMAGE" && find . -type f -print0 | sort -z | xargs -0 md5sum)
run_container a twin "${JOB[@]}" --log "$E2E_TMP/twin.log" -- /bin/counter /count $LIMIT
wait_for count_at_least "$E2E_TMP/twin.log" 3
assert_eq 1 "$(first_count "$E2E_TMP/twin.log")" "the twin starts fresh"
held_line="$E2E_NAMESPACE/twin: checkpoint identity $E2E_NAMESPACE/job1 is held by $E2E_NAMESPACE/second on"
assert_eq 1 "$(grep -c "ERROR.*$held_line" "$(tardis_log a)")" "one ERROR line naming the holder"
TARDIS_CONFIG=$A_CONFIG run "$TARDISCTL" status --json
assert_eq "" "$(jq -r '.containers[] | select(.id == "twin") | .id' <<<"$output")" "the twin is not opted in"
remove_container a twin
assert_eq "$image_before" "$(cd "$IMAGE" && find . -type f -print0 | sort -z | xargs -0 md5sum)" "the job's image"
assert_eq "$E2E_NAMESPACE/second" "$(lease_holder)" "the lease's holder"

log "--- 3. node B is refused while A holds the job; A dies; B takes over once it is stale"
run_container b early "${JOB[@]}" --log "$E2E_TMP/early.log" -- /bin/counter /count $LIMIT
wait_for count_at_least "$E2E_TMP/early.log" 2
assert_eq 1 "$(first_count "$E2E_TMP/early.log")" "refused: starts fresh"
assert_contains "$(cat "$(tardis_log b)")" "$E2E_NAMESPACE/early: checkpoint identity $E2E_NAMESPACE/job1 is held by $E2E_NAMESPACE/second on"
remove_container b early
kill_node a
wait_for --timeout 30 lease_is_stale
run_container b third "${JOB[@]}" --log "$E2E_TMP/third.log" -- /bin/counter /count $LIMIT
wait_for count_at_least "$E2E_TMP/third.log" $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/third.log")" "B continues from the job's image"
assert_contains "$(cat "$(tardis_log b)")" "$E2E_NAMESPACE/third: took over stale lease of $E2E_NAMESPACE/second on"
assert_eq "$E2E_NAMESPACE/third" "$(lease_holder)" "the lease's holder"

log "--- 4. the job finishes on B: its image and lease go"
delete_stopped b third 90
assert_file_missing "$IMAGE"
assert_file_missing "$LEASE"

log "--- 5. the CRI plugin's annotations name the job when the env does not"
K8S=(--env TARDIS_ENABLE=1 --annotation io.kubernetes.cri.sandbox-namespace=batch
     --annotation io.kubernetes.cri.sandbox-name=worker-0 --annotation io.kubernetes.cri.container-name=main)
K8S_IMAGE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/k8s_batch_worker-0_main
run_container b pod1 "${K8S[@]}" --log "$E2E_TMP/pod1.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/pod1.log" 5
TARDIS_CONFIG=$B_CONFIG run "$TARDISCTL" finalize
assert_status 0
saved=$(last_count "$E2E_TMP/pod1.log")
assert_file_exists "$K8S_IMAGE/manifest.json"
run_container b pod2 "${K8S[@]}" --log "$E2E_TMP/pod2.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/pod2.log" $((saved + 2))
assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/pod2.log")" "the pod's next container continues"
remove_container b pod2

finish_test
