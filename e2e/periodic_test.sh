#!/usr/bin/env bash
# Periodic checkpoints (SPEC.md "Periodic checkpoints"): a job with
# TARDIS_CHECKPOINT_INTERVAL is checkpointed by tardis-listen while it keeps running, so
# a node lost without any notice costs at most about one interval of work.
#
#   1. a counter checkpointed every 5 s never stops and never counts backwards;
#   2. node A is lost with no finalize; node B, sharing the storage, resumes the job from
#      the newest periodic image, whose files match its memory;
#   3. a periodic checkpoint CRIU refuses leaves the job running and the previous image;
#      the next one, once CRIU can, succeeds;
#   4. ten containers with the shortest interval: never more than periodic_in_flight
#      checkpoints at once;
#   5. shared-filesystem mode and a malformed interval: no periodic checkpoints, said in
#      the log.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/periodic_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
# A short lease, so that node B may take the job over soon after A is lost.
A_CONFIG=$(write_tardis_config a lease_stale_ms=2000)
B_CONFIG=$(write_tardis_config b lease_stale_ms=2000 periodic_in_flight=2)
start_containerd a --tardis-config "$A_CONFIG"
start_containerd b --tardis-config "$B_CONFIG"
build_busybox_image a
build_busybox_image b
IMAGE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/job
EVERY_5S=(--env TARDIS_ENABLE=1 --env TARDIS_CHECKPOINT_INTERVAL=5s)

# periodic_done NODE [ID]: how many periodic checkpoints NODE's handlers published (of ID).
periodic_done() {
  grep -c "$E2E_NAMESPACE/${2:-}.*: periodic checkpoint as " "$(tardis_log "$1")" || true
}
# counts_never_went_back LOG: every count is the one before plus one.
counts_never_went_back() {
  e2e_counts "$1" | awk 'NR > 1 && $1 != prev + 1 { print "count went from " prev " to " $1; bad = 1 } { prev = $1 } END { exit bad }'
}
# image_count: the count the newest image's files hold (the counter's /count).
image_count() { tar -xOf "$IMAGE/rootfs.tar" count | tr -d '\n'; }

log "--- 1. a counter checkpointed every 5 s keeps running"
run_container a job "${EVERY_5S[@]}" --log "$E2E_TMP/job.a.log" -- /bin/counter /count
wait_for task_status_is a job RUNNING
assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/job: opted in as $E2E_NAMESPACE/job (container_id), checkpointed every 5000 ms"
# Never stopped: its first process stays (containerd shows it PAUSING or PAUSED while
# a checkpoint has it frozen).
pid=$(task_pid a job)
for _ in $(seq 20); do
  assert_contains "RUNNING PAUSING PAUSED" "$(task_status a job)"
  assert_eq "$pid" "$(task_pid a job)" "the job's first process"
  sleep 1
done
wait_for --timeout 30 eval '(( $(periodic_done a job) >= 3 ))'
log "periodic checkpoints published: $(periodic_done a job)"
counts_never_went_back "$E2E_TMP/job.a.log" || fail "the job's count went backwards"
assert_file_exists "$IMAGE/manifest.json"
assert_file_missing "$(tardis_config_value "$A_CONFIG" state_dir)/containers/$E2E_NAMESPACE/job/skip-resume"
TARDIS_CONFIG=$A_CONFIG run "$(e2e_binary tardisctl)" status
assert_status 0
assert_contains "$output" "every 5s, last"
TARDIS_CONFIG=$A_CONFIG run "$(e2e_binary tardisctl)" status --json
frozen_ms=$(jq -r ".containers[] | select(.id == \"job\") | .last_checkpoint.frozen_ms" <<<"$output")
log "last periodic checkpoint: frozen $frozen_ms ms"
[[ $frozen_ms =~ ^[0-9]+$ ]] || fail "no frozen time in status: $output"

log "--- 2. node A is lost without a notice; node B resumes from the newest periodic image"
# Lose A right after a periodic checkpoint was published, with no other under way, so
# that the newest image is known: the one the restore must use.
done_before=$(periodic_done a job)
wait_for --timeout 30 eval '(( $(periodic_done a job) > done_before ))'
saved=$(image_count)
at_loss=$(last_count "$E2E_TMP/job.a.log")
kill_node a
log "the newest image holds count $saved; the job had counted to $at_loss when A was lost"
sleep 3  # A's lease goes stale (lease_stale_ms=2000)
run_container b job "${EVERY_5S[@]}" --log "$E2E_TMP/job.b.log" -- /bin/counter /count
wait_for task_status_is b job RUNNING
wait_for count_at_least "$E2E_TMP/job.b.log" $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/job.b.log")" \
  "node B continues from the newest periodic image (its memory and its files agree)"
log "work lost: $((at_loss - saved)) counts of 100 ms (interval 5 s)"
(( at_loss - saved <= 100 )) || fail "lost more than the interval and the checkpoint: $at_loss -> $saved"
assert_contains "$(cat "$(tardis_log b)")" "$E2E_NAMESPACE/job: restored from $IMAGE"

log "--- 3. a periodic checkpoint CRIU refuses leaves the job running and its image"
wait_for --timeout 30 eval '(( $(periodic_done b job) >= 1 ))'
ctr_ b tasks exec --exec-id undumpable job /bin/undumpable >"$E2E_TMP/undumpable.log" 2>&1 &
exec_pid=$!
wait_for grep -q ready "$E2E_TMP/undumpable.log"
manifest_before=$(sha256sum <"$IMAGE/manifest.json")
wait_for --timeout 30 grep -q "$E2E_NAMESPACE/job: periodic checkpoint failed" "$(tardis_log b)"
assert_eq "$manifest_before" "$(sha256sum <"$IMAGE/manifest.json")" "the previous image, after a refused checkpoint"
assert_eq RUNNING "$(task_status b job)" "the job, after a refused checkpoint"
now=$(last_count "$E2E_TMP/job.b.log")
wait_for count_at_least "$E2E_TMP/job.b.log" $((now + 5))
ctr_ b tasks kill --exec-id undumpable --signal SIGKILL job
wait "$exec_pid" || true
done_before=$(periodic_done b job)
wait_for --timeout 30 eval '(( $(periodic_done b job) > done_before ))'
counts_never_went_back "$E2E_TMP/job.b.log" || fail "the job's count went backwards on B"
remove_container b job

log "--- 4. ten containers every 5 s on node B: at most periodic_in_flight (2) at once"
: >"$(tardis_log b)"  # the loggers append: only this part's lines from here
for i in $(seq 10); do
  run_container b "many$i" "${EVERY_5S[@]}" -- /bin/counter /count
done
wait_for --timeout 60 eval '(( $(periodic_done b many) >= 20 ))'
# Each handler logs "frozen, dumping" when its checkpoint starts and "periodic checkpoint
# as" when it ends; the log is appended in order.
max_in_flight=$(awk '/periodic checkpoint: frozen, dumping/ { n++; if (n > max) max = n }
                     /: periodic checkpoint as / { n-- } END { print max + 0 }' "$(tardis_log b)")
log "periodic checkpoints of ten containers: $(periodic_done b many), at most $max_in_flight at once"
(( max_in_flight <= 2 )) || fail "$max_in_flight periodic checkpoints ran at once (periodic_in_flight=2)"
assert_not_contains "$(cat "$(tardis_log b)")" "periodic checkpoint failed"
for i in $(seq 10); do remove_container b "many$i"; done

log "--- 5. shared-filesystem mode and a malformed interval: no periodic checkpoints"
mkdir -p "$E2E_TMP/shared"
run_container b shared --env TARDIS_ENABLE=1 --env TARDIS_CHECKPOINT_INTERVAL=5s \
  --env "TARDIS_NETWORKFS_HOST_PATH=$E2E_TMP/shared" --env TARDIS_WORKDIR_CONTAINER_PATH=/jobdata \
  -- /bin/counter count
run_container b typo --env TARDIS_ENABLE=1 --env TARDIS_CHECKPOINT_INTERVAL=5 -- /bin/counter /count
sleep 8
log_text=$(cat "$(tardis_log b)")
assert_contains "$log_text" "$E2E_NAMESPACE/shared: no periodic checkpoints in shared-filesystem mode"
assert_contains "$log_text" "$E2E_NAMESPACE/typo: TARDIS_CHECKPOINT_INTERVAL ignored (expected a unit (ms, s, m or h): \"5\")"
assert_eq 0 "$(periodic_done b shared)" "periodic checkpoints in shared-filesystem mode"
assert_eq 0 "$(periodic_done b typo)" "periodic checkpoints with a malformed interval"
assert_eq RUNNING "$(task_status b typo)" "the container with a malformed interval"
remove_container b shared
remove_container b typo

finish_test
