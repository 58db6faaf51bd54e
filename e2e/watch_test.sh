#!/usr/bin/env bash
# tardisctl watch on a real node (SPEC.md "Spot notices"): the cloud's notice itself
# finalizes the node, once; nothing else does.
#
# The metadata services are fakes (e2e/fake_metadata.py, on 127.0.0.1): they cannot exist
# here. Everything else is real: containerd, runc, CRIU, the opted-in containers.
#
# 1. AWS (IMDSv2): the service down, slow past the timeout, 500, garbage, truncated JSON,
#    an unknown action and a notice dated an hour ago: none finalizes, the containers keep
#    running, nothing is recorded. A --dry-run watcher says what it would do and does
#    nothing. The session token expires (the fake caps its life): a new one is fetched.
#    Then the notice: the watcher finalizes every opted-in container (checkpointed,
#    deleted, images valid), leaves the one that does not opt in, records the notice
#    in acted.json, and keeps polling without finalizing again. A second watcher is
#    refused (one per node). Restarted, it does not act on the same notice again: a
#    container started since keeps running.
# 2. GCP: found by --cloud auto; an answer without Metadata-Flavor: Google is not GCP's;
#    the long poll brings the preemption at once; finalize.
# 3. Azure: a Preempt event for another VM and a Freeze for this one are not notices;
#    this VM's Preempt is: finalize, then the event is acknowledged (StartRequests).
# 4. The containers finalized in 1 run again and resume.
# 5. tardisctl finalize --deadline: a bad time is a usage error; a deadline already passed
#    still saves everything.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/watch_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
require_tool python3
require_tool jq
TARDISCTL=$(e2e_binary tardisctl)
FAKE=$(e2e_built fake_metadata.py)
export TARDIS_CONFIG
TARDIS_CONFIG=$(write_tardis_config a)
STATE_DIR=$(tardis_config_value "$TARDIS_CONFIG" state_dir)
ACTED=$STATE_DIR/watch/acted.json
start_containerd a
build_busybox_image a
IMAGES=$E2E_TMP/checkpoints/$E2E_NAMESPACE
OPT_IN=(--env TARDIS_ENABLE=1)

FAKE_PID=""
FAKE_URL=""
FAKE_LOG=""
WATCH_PID=""
WATCH_OUT=""

# start_fake CLOUD [ARGS...]: a fake metadata service for CLOUD; sets FAKE_URL, FAKE_LOG.
start_fake() {
  local cloud=$1; shift
  FAKE_LOG=$E2E_TMP/fake-$cloud.log
  rm -f "$E2E_TMP/fake.port"
  python3 "$FAKE" --cloud "$cloud" --port-file "$E2E_TMP/fake.port" --log "$FAKE_LOG" "$@" \
    >>"$E2E_TMP/fake-$cloud.out" 2>&1 &
  FAKE_PID=$!
  wait_for test -s "$E2E_TMP/fake.port"
  FAKE_URL=http://127.0.0.1:$(<"$E2E_TMP/fake.port")
}
stop_fake() { [[ -z $FAKE_PID ]] || e2e_stop_daemon "fake metadata" "$FAKE_PID" 5; FAKE_PID=""; }
set_mode() { curl -sf -X PUT --data "$1" "$FAKE_URL/control/mode" >/dev/null; }
requests() { curl -sf "$FAKE_URL/control/requests"; }
# polls_pass N: waits until the fake has answered N more requests.
polls_pass() {
  local target=$(($(requests) + $1))
  wait_for requests_reach "$target"
}
requests_reach() { (($(requests) >= $1)); }

# start_watch ARGS...: tardisctl watch in the background, its stdout in WATCH_OUT.
start_watch() {
  WATCH_OUT=$E2E_TMP/watch.$RANDOM.out
  "$TARDISCTL" --config "$TARDIS_CONFIG" watch --endpoint "$FAKE_URL" "$@" >"$WATCH_OUT" 2>&1 &
  WATCH_PID=$!
  wait_for grep -q "^watching " "$WATCH_OUT"
}
# stop_watch: SIGTERM, as systemd stops it; it must end promptly, with status 0 or 1.
stop_watch() {
  [[ -n $WATCH_PID ]] || return 0
  kill -TERM "$WATCH_PID"
  poll_until 10 e2e_gone "$WATCH_PID" || fail "tardisctl watch ignored SIGTERM"
  local code=0
  wait "$WATCH_PID" || code=$?
  ((code <= 1)) || fail "tardisctl watch exited $code: $(cat "$WATCH_OUT")"
  WATCH_PID=""
}
finalize_runs() { grep -c "watch: finalize: starting" "$(tardis_log a)" || true; }

# start_counters ID...: opted-in counters, running and counting.
start_counters() {
  local id
  for id in "$@"; do run_container a "$id" "${OPT_IN[@]}" --log "$E2E_TMP/$id.1.log" -- /bin/counter /count; done
  for id in "$@"; do wait_for count_at_least "$E2E_TMP/$id.1.log" 2; done
}
# assert_finalized ID...: checkpointed through containerd and deleted, a valid image left.
assert_finalized() {
  local id
  for id in "$@"; do
    wait_for --timeout 60 eval "! container_exists a $id"
    assert_file_exists "$IMAGES/$id/manifest.json"
  done
}
assert_running() {
  local id
  for id in "$@"; do assert_eq RUNNING "$(task_status a "$id")" "$id's task"; done
}

# ---------------------------------------------------------------------------------------
log "--- 1. AWS: bad answers never finalize; the notice does, once"
start_counters a1 a2
run_container a plain --log "$E2E_TMP/plain.log" -- /bin/counter /count
wait_for task_status_is a plain RUNNING
start_fake aws --token-ttl-cap 2
start_watch --cloud aws --interval 300ms --timeout 1s

for mode in down slow error500 garbage truncated unknown-action stale; do
  log "fake: $mode"
  set_mode "$mode"
  polls_pass 3
done
set_mode quiet
polls_pass 2
assert_running a1 a2 plain
assert_eq 0 "$(finalize_runs)" "finalize runs after bad answers"
assert_file_missing "$ACTED"
watch_log=$(grep "watch: " "$(tardis_log a)")
assert_contains "$watch_log" "no complete answer within 1000 ms"
assert_contains "$watch_log" "spot/instance-action: answered 500"
assert_contains "$watch_log" "spot/instance-action: not JSON"
assert_contains "$watch_log" "unknown action \`reboot\`"
assert_contains "$watch_log" "a leftover, not acted on"
assert_contains "$watch_log" "metadata service answers again"
# The token outlived its (capped) life: the 401 brought a new one.
assert_contains "$watch_log" "answered 401: fetching a new session token"
assert_contains "$(cat "$FAKE_LOG")" "token=tok-2"

# A second watcher on the node is refused while the first runs.
run "$TARDISCTL" --config "$TARDIS_CONFIG" watch --endpoint "$FAKE_URL" --cloud aws
assert_status 1 "a second watcher"
assert_contains "$errors" "another tardisctl watch is running on this node"

# A dry run says and does nothing (it needs the lock too: stop the real one first).
stop_watch
set_mode notice
start_watch --cloud aws --interval 300ms --dry-run
wait_for grep -q "dry run: would finalize every opted-in container now" "$WATCH_OUT"
polls_pass 2
stop_watch
assert_running a1 a2 plain
assert_file_missing "$ACTED"

start_watch --cloud aws --interval 300ms
wait_for grep -q "^finalized for aws:spot:" "$WATCH_OUT"
assert_finalized a1 a2
assert_running plain
assert_contains "$(cat "$WATCH_OUT")" "2 checkpointed, 0 failed, 0 skipped"
assert_eq "1 2" "$(jq -r '"\(.acted | length) \(.acted[0].checkpointed)"' "$ACTED")" "acted.json"
assert_ne null "$(jq -r '.acted[0].finished_unix_nanos' "$ACTED")" "finalize's end recorded"
polls_pass 3
assert_eq 1 "$(finalize_runs)" "finalize runs while the notice stays"

# Restarted, the watcher does not act on the same notice again.
stop_watch
start_counters a3
start_watch --cloud aws --interval 300ms
wait_for grep -q "already acted on at" "$WATCH_OUT"
polls_pass 3
assert_running a3 plain
assert_eq 1 "$(finalize_runs)" "finalize runs after a restart"
stop_watch
stop_fake
remove_container a a3

# ---------------------------------------------------------------------------------------
log "--- 2. GCP: found by --cloud auto; the long poll brings the preemption"
start_counters g1
start_fake gcp
start_watch --cloud auto --interval 300ms
assert_contains "$(cat "$WATCH_OUT")" "watching GCP metadata server"
set_mode wrong-flavor
polls_pass 3
assert_running g1
set_mode notice
wait_for grep -q "^finalized for gcp:preempted:" "$WATCH_OUT"
assert_finalized g1
assert_running plain
stop_watch
stop_fake

# ---------------------------------------------------------------------------------------
log "--- 3. Azure: this VM's Preempt event, acknowledged after finalize"
start_counters z1
start_fake azure --vm-name tardis-vm-1
start_watch --cloud azure --interval 300ms
for mode in other-vm unknown-action; do
  set_mode "$mode"
  polls_pass 3
done
assert_running z1
set_mode notice
wait_for grep -q "^acknowledged event 602d9444-d2cd-49c7-8624-8643e7171297" "$WATCH_OUT"
assert_finalized z1
assert_contains "$(cat "$FAKE_LOG")" 'POST /metadata/scheduledevents?api-version=2020-07-01 200 body={"StartRequests":[{"EventId":"602d9444-d2cd-49c7-8624-8643e7171297"}]}'
assert_running plain
stop_watch
stop_fake
assert_eq 3 "$(jq '.acted | length' "$ACTED")" "notices acted on"

# ---------------------------------------------------------------------------------------
log "--- 4. the finalized containers run again and resume"
for id in a1 a2 g1 z1; do
  run_container a "$id" "${OPT_IN[@]}" --log "$E2E_TMP/$id.2.log" -- /bin/counter /count
done
for id in a1 a2 g1 z1; do
  saved=$(last_count "$E2E_TMP/$id.1.log")
  wait_for count_at_least "$E2E_TMP/$id.2.log" $((saved + 2))
  assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/$id.2.log")" "$id's count goes on where it stopped"
done
for id in a1 a2 g1 z1; do remove_container a "$id"; done

# ---------------------------------------------------------------------------------------
log "--- 5. finalize --deadline by hand (which containers a deadline skips: finalize_test.cc)"
run "$TARDISCTL" --config "$TARDIS_CONFIG" finalize --deadline "in a minute"
assert_status 2 "a deadline that is not RFC 3339"
assert_contains "$errors" "--deadline: not an RFC 3339 time: \`in a minute\`"
start_counters d1
run "$TARDISCTL" --config "$TARDIS_CONFIG" finalize --deadline 2020-01-01T00:00:00Z --json
assert_status 0 "finalize past its deadline"
assert_eq "1 0 0" "$(jq -r '"\(.checkpointed) \(.failed) \(.skipped)"' <<<"$output")" "a deadline passed promises nothing: all tried"
assert_contains "$(cat "$(tardis_log a)")" "finalize: the deadline has passed; saving what can be saved"
assert_finalized d1
remove_container a plain

finish_test
