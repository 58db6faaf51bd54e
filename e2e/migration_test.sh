#!/usr/bin/env bash
# Migration between nodes, in shared-filesystem mode (SPEC.md "Opting in").
#
# Two private containerd instances, node A and node B, share one network-filesystem
# directory (images under checkpoint/, work dirs under work/). A counter job runs on A in
# shared-filesystem mode: its work dir is bind-mounted into the container and is its
# working directory, and it writes its count there. A spot notice arrives: `tardisctl
# finalize` on A, then A is lost. The same container id and env run on B: the count
# continues, and the work dir's files are there. When the job finishes (exit 0) on B,
# its image and its work dir go.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/migration_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
SHARED=$E2E_TMP/shared
mkdir -p "$SHARED"
A_CONFIG=$(write_tardis_config a)
B_CONFIG=$(write_tardis_config b)
start_containerd a --tardis-config "$A_CONFIG"
start_containerd b --tardis-config "$B_CONFIG"
build_busybox_image a
build_busybox_image b
SHARED_MODE=(--env TARDIS_ENABLE=1 --env "TARDIS_NETWORKFS_HOST_PATH=$SHARED"
             --env TARDIS_WORKDIR_CONTAINER_PATH=/jobdata)
IMAGE=$SHARED/checkpoint/$E2E_NAMESPACE/job
WORK=$SHARED/work/$E2E_NAMESPACE/job


log "--- node A runs the job in shared-filesystem mode"
# `count` is relative: it lands in the working directory, the work dir.
run_container a job "${SHARED_MODE[@]}" --log "$E2E_TMP/job.a.log" -- /bin/counter count 80
wait_for count_at_least "$E2E_TMP/job.a.log" 10
wait_for test -s "$WORK/count"
assert_eq /jobdata "$(readlink "/proc/$(task_pid a job)/cwd")" "the job's working directory"
ctr_ a tasks exec --exec-id note job sh -c 'echo "written on A" >/jobdata/notes.txt'

log "--- spot notice: finalize node A, then A is lost"
TARDIS_CONFIG=$A_CONFIG run "$(e2e_binary tardisctl)" finalize
assert_status 0
assert_contains "$output" "job"
saved=$(last_count "$E2E_TMP/job.a.log")
assert_file_exists "$IMAGE/manifest.json"
kill_node a

log "--- node B runs the same container: it continues"
run_container b job "${SHARED_MODE[@]}" --log "$E2E_TMP/job.b.log" -- /bin/counter count 80
wait_for task_status_is b job RUNNING
wait_for count_at_least "$E2E_TMP/job.b.log" $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/job.b.log")" "the count continues on node B"
assert_file_contains "$WORK/notes.txt" "written on A"
run ctr_ b tasks exec --exec-id read job cat /jobdata/notes.txt
assert_eq "written on A" "$output" "the work dir, seen from the job on node B"
assert_contains "$(cat "$(tardis_log b)")" "$E2E_NAMESPACE/job: restored from $IMAGE"

log "--- the job finishes on B: its image and work dir go"
delete_stopped b job 60
assert_file_missing "$IMAGE"
assert_file_missing "$WORK"

log "--- a work dir that cannot be mounted leaves the spec alone"
# The destination is already a mount of the container's own: Tardis must not add another.
mkdir -p "$E2E_TMP/mine"
run_container b own "${SHARED_MODE[@]}" --mount "type=bind,src=$E2E_TMP/mine,dst=/jobdata,options=rbind:rw" \
  --log "$E2E_TMP/own.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/own.log" 2
assert_contains "$(cat "$(tardis_log b)")" "$E2E_NAMESPACE/own: work dir not mounted"
remove_container b own

finish_test
