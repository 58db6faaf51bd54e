#!/usr/bin/env bash
# Docker (Debian's docker.io 20.10, its containers in containerd namespace moby) with
# Tardis as a runtime of its own (`dockerd --add-runtime tardis=.../tardis-runc`, what
# `docker run --runtime tardis` selects). Two nodes, A and B, each a containerd and a
# dockerd, share the checkpoint storage. SPEC.md "Docker" is what this proves.
#
# 1. Two jobs on A: job1 (TARDIS_CHECKPOINT_ID=job1) and short (ends by itself). A spot
#    notice: `tardisctl finalize` checkpoints both (Docker's containers have no
#    containerd image: finalize asks for the task's checkpoint) and they exit.
# 2. `docker start` of the same containers: both continue, restored into their own
#    writable layer; short runs to its end, exits 0, and its image goes.
# 3. finalize again, `docker rm`, `docker run` of job1 (a new container id) on A, then the
#    same across nodes: job1 continues on B.
# 4. A twin of job1 on A while B runs it: it runs unprotected (fresh, one ERROR line
#    naming the holder) and job1's image is untouched.
# 5. Docker's own checkpoints keep working: `docker checkpoint create` then `docker start
#    --checkpoint`, for job1 (opted in; Docker gets CRIU's dump, Tardis its image, and
#    still knows the container afterwards) and for a container that does not opt in.
# 6. `docker kill` keeps job1's image and `docker start` restores from it; then node B
#    dies with job1 running (dockerd, containerd, shims killed -9): once B's lease is
#    stale, job1's next container on A continues from the image.
# 7. Periodic checkpoints of a Docker container (TARDIS_CHECKPOINT_INTERVAL=5s): taken
#    through containerd behind Docker, the container stays running in Docker's eyes.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/docker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
require_tool jq md5sum
TARDISCTL=$(e2e_binary tardisctl)
STALE_MS=4000
IMAGES=$E2E_TMP/checkpoints/moby
declare -A CONFIG=()
for node in a b; do
  CONFIG[$node]=$(write_tardis_config "$node" lease_stale_ms=$STALE_MS)
  start_containerd "$node" --tardis-config "${CONFIG[$node]}"
  start_dockerd "$node"
  build_docker_image "$node"
done
JOB1=(--runtime tardis --network none -e TARDIS_ENABLE=1 -e TARDIS_CHECKPOINT_ID=job1)

# output NODE NAME: the file holding the container's output so far (`docker logs`: every
# run of the same container, one after the other).
output() {
  docker_ "$1" logs "$2" >"$E2E_TMP/$2.$1.log" 2>&1 || fail "docker logs $2 on $1"
  echo "$E2E_TMP/$2.$1.log"
}
lines() { wc -l <"$(output "$1" "$2")"; }
counted_to() { count_at_least "$(output "$1" "$2")" "$3"; }
# count_after NODE NAME LINES: the first count the container printed after its first
# LINES lines (its first count since the last start).
count_after() { sed -n "$(($3 + 1))p" "$(output "$1" "$2")"; }
state_of() { docker_ "$1" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$2"; }
state_is() { [[ $(state_of "$1" "$2") == "$3" ]]; }
full_id() { docker_ "$1" inspect -f '{{.Id}}' "$2"; }
finalize() {
  TARDIS_CONFIG=${CONFIG[$1]} run "$TARDISCTL" finalize
  assert_status 0 "finalize on $1"
}
image_sums() { (cd "$IMAGES/job1" && find . -type f -print0 | sort -z | xargs -0 md5sum); }
lease_holder() { jq -r '.namespace + "/" + .container_id' "$IMAGES/.job1.lease" 2>/dev/null; }
lease_is_stale() {
  local refreshed
  refreshed=$(jq -r .refreshed_unix_nanos "$IMAGES/.job1.lease") || return 1
  ((($(date +%s%N) - refreshed) / 1000000 > STALE_MS))
}

log "--- 1. two jobs on A; a spot notice: finalize checkpoints both"
docker_ a run -d --name j1 "${JOB1[@]}" "$E2E_IMAGE" /bin/counter /count >/dev/null
# short ends by itself (exit 0) at 60: a restored process keeps its first argv.
docker_ a run -d --name short --runtime tardis --network none -e TARDIS_ENABLE=1 \
  -e TARDIS_CHECKPOINT_ID=short "$E2E_IMAGE" /bin/counter /count 60 >/dev/null
wait_for counted_to a j1 10
wait_for counted_to a short 5
finalize a
assert_contains "$output" "job1"
assert_contains "$output" "short"
wait_for state_is a j1 "exited 137"
wait_for state_is a short "exited 137"
saved=$(last_count "$(output a j1)")
short_saved=$(last_count "$(output a short)")
log "job1 saved at $saved, short at $short_saved"
assert_eq job1 "$(jq -r .identity "$IMAGES/job1/manifest.json")" "the image's identity"
assert_eq "$(full_id a j1)" "$(jq -r .container_id "$IMAGES/job1/manifest.json")" "the container that made it"
assert_file_missing "$IMAGES/.job1.lease"

log "--- 2. docker start of the same containers: both continue; short ends and its image goes"
before=$(lines a j1)
short_before=$(lines a short)
docker_ a start j1 short >/dev/null
wait_for counted_to a j1 $((saved + 3))
assert_eq "$((saved + 1))" "$(count_after a j1 "$before")" "job1 continues in its own container"
assert_eq "moby/$(full_id a j1)" "$(lease_holder)" "the lease's holder"
wait_for --timeout 60 state_is a short "exited 0"
assert_eq "$((short_saved + 1))" "$(count_after a short "$short_before")" "short continues"
assert_eq 60 "$(last_count "$(output a short)")" "short ran to its end"
assert_file_missing "$IMAGES/short"
docker_ a rm short >/dev/null

log "--- 3. finalize, docker rm, docker run under a new id: on A, then on B"
finalize a
wait_for state_is a j1 "exited 137"
saved=$(last_count "$(output a j1)")
first_id=$(full_id a j1)
docker_ a rm j1 >/dev/null
docker_ a run -d --name j1 "${JOB1[@]}" "$E2E_IMAGE" /bin/counter /count >/dev/null
assert_ne "$first_id" "$(full_id a j1)" "the new container's id"
wait_for counted_to a j1 $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$(output a j1)")" "job1 continues under a new id"
assert_contains "$(cat "$(tardis_log a)")" "moby/$(full_id a j1): restored from $IMAGES/job1 (made by moby/$first_id)"

finalize a
wait_for state_is a j1 "exited 137"
saved=$(last_count "$(output a j1)")
docker_ a rm j1 >/dev/null
docker_ b run -d --name j1 "${JOB1[@]}" "$E2E_IMAGE" /bin/counter /count >/dev/null
wait_for counted_to b j1 $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$(output b j1)")" "job1 continues on B"

log "--- 4. a twin of job1 on A while B runs it: unprotected, the image untouched"
sums=$(image_sums)
docker_ a run -d --name twin "${JOB1[@]}" "$E2E_IMAGE" /bin/counter /count >/dev/null
wait_for counted_to a twin 3
assert_eq 1 "$(first_count "$(output a twin)")" "the twin starts fresh"
assert_eq 1 "$(grep -c "ERROR.*moby/$(full_id a twin): checkpoint identity moby/job1 is held by moby/$(full_id b j1) on" \
  "$(tardis_log a)")" "one ERROR line naming the holder"
docker_ a rm -f twin >/dev/null
assert_eq "$sums" "$(image_sums)" "job1's image"
assert_eq "moby/$(full_id b j1)" "$(lease_holder)" "the lease's holder"

log "--- 5. docker checkpoint create / docker start --checkpoint, opted in or not"
docker_ b checkpoint create j1 cp1 >/dev/null || fail "docker checkpoint create j1"
wait_for state_is b j1 "exited 137"
saved=$(last_count "$(output b j1)")
checkpoint_dir=$(docker_dir b)/root/containers/$(full_id b j1)/checkpoints/cp1
assert_file_exists "$checkpoint_dir/inventory.img"  # Docker holds CRIU's dump...
assert_eq "$(full_id b j1)" "$(jq -r .container_id "$IMAGES/job1/manifest.json")" "...and Tardis its image"
before=$(lines b j1)
docker_ b start --checkpoint cp1 j1 >/dev/null || fail "docker start --checkpoint cp1 j1"
wait_for counted_to b j1 $((saved + 3))
assert_eq "$((saved + 1))" "$(count_after b j1 "$before")" "job1 continues from Docker's checkpoint"
TARDIS_CONFIG=${CONFIG[b]} run "$TARDISCTL" status --json
assert_eq job1 "$(jq -r ".containers[] | select(.id == \"$(full_id b j1)\") | .identity" <<<"$output")" \
  "Tardis knows the container Docker restored"

docker_ b run -d --name plain --runtime tardis --network none "$E2E_IMAGE" /bin/counter /count >/dev/null
wait_for counted_to b plain 5
docker_ b checkpoint create plain cp1 >/dev/null || fail "docker checkpoint create plain"
wait_for state_is b plain "exited 137"
plain_saved=$(last_count "$(output b plain)")
before=$(lines b plain)
docker_ b start --checkpoint cp1 plain >/dev/null || fail "docker start --checkpoint cp1 plain"
wait_for counted_to b plain $((plain_saved + 3))
assert_eq "$((plain_saved + 1))" "$(count_after b plain "$before")" "a container not opted in, too"
assert_file_missing "$IMAGES/$(full_id b plain)"
docker_ b rm -f plain >/dev/null

log "--- 6. docker kill keeps the image; B dies running job1; A takes over once B's lease is stale"
docker_ b kill j1 >/dev/null
wait_for state_is b j1 "exited 137"
assert_file_exists "$IMAGES/job1/manifest.json"
before=$(lines b j1)
docker_ b start j1 >/dev/null
wait_for counted_to b j1 $((saved + 3))
assert_eq "$((saved + 1))" "$(count_after b j1 "$before")" "job1 restores from its image after docker kill"
kill_node b
wait_for --timeout 30 lease_is_stale
docker_ a run -d --name j1 "${JOB1[@]}" "$E2E_IMAGE" /bin/counter /count >/dev/null
wait_for counted_to a j1 $((saved + 3))
assert_eq "$((saved + 1))" "$(first_count "$(output a j1)")" "A continues from job1's image"
assert_contains "$(cat "$(tardis_log a)")" "moby/$(full_id a j1): took over stale lease of moby/"

log "--- 7. periodic checkpoints of a Docker container: it keeps running"
docker_ a run -d --name every5s --runtime tardis --network none -e TARDIS_ENABLE=1 \
  -e TARDIS_CHECKPOINT_INTERVAL=5s "$E2E_IMAGE" /bin/counter /count >/dev/null
wait_for --timeout 30 grep -q "moby/$(full_id a every5s): periodic checkpoint as " "$(tardis_log a)"
now=$(last_count "$(output a every5s)")
wait_for counted_to a every5s $((now + 5))
assert_eq "running 0" "$(state_of a every5s)" "Docker's view of a container after a periodic checkpoint"
assert_file_exists "$IMAGES/$(full_id a every5s)/manifest.json"
docker_ a rm -f every5s >/dev/null

finish_test
