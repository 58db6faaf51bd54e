#!/usr/bin/env bash
# tardis-runc killed at exact syscalls of a checkpoint and of a restore (issue 13's crash
# test): strace's `inject=SYSCALL:signal=KILL:when=N` kills the handler (its main
# thread, where every step of both flows is taken) as it enters the Nth call of SYSCALL,
# for N = 1, 2, ... until a call runs to its end without reaching it. After each kill:
#   checkpoint (`ctr tasks checkpoint --exit`):
#     - the image is the previous one or a newer complete one (tardisctl status: valid,
#       created no earlier than before);
#     - the job is running and counting (the same process, not left frozen), or stopped
#       with an image newer than the one it had;
#     - nothing stays paused by Tardis (tardis-listen thaws a dead checkpoint's pause),
#       and `tardisctl gc` leaves no staging image.
#   restore (`ctr run` of the job's next container, which restores):
#     - the image is untouched (a restore only reads it);
#     - nothing of the killed restore stays mounted once its container is removed;
#     - the next `ctr run` of the job restores it: its count continues from the image.
# Then runc and CRIU themselves: the real runc runs under `strace -f` for one checkpoint
# or restore, which kills whichever of runc and CRIU first enters its Nth write (N
# sampled up to CRASH_RUNC_WRITES); the same checks follow (a checkpoint's job keeps
# running, or stopped with a newer image; a restore's job restores at its next try).
# CRASH_*_SYSCALLS name the syscalls swept for checkpoints and for restores; CI samples
# the ones that move images and files into place (rename: the journal, the manifest,
# the publish; renameat2: the unpack's move-in; mkdir: staging and the unpack's stage),
# and //e2e:crash_syscall_sweep_test sweeps more.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/crash_syscall_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHECKPOINT_SYSCALLS=${CRASH_CHECKPOINT_SYSCALLS:-rename mkdir}
RESTORE_SYSCALLS=${CRASH_RESTORE_SYSCALLS:-renameat2 rename mkdir}
MAX_N=${CRASH_MAX_N:-40}  # a syscall made more often than this is sampled up to here
RUNC_WRITES=${CRASH_RUNC_WRITES:-1 10 100 1000}

begin_test
require_tool strace jq
CTL=$E2E_TMP/inject
mkdir -p "$CTL"
WRAPPER=$E2E_TMP/tardis-runc-injected
# For the one call named in $CTL/command, once: tardis-runc under strace, which kills it
# at the syscall in $CTL/spec; a kill is noted in $CTL/killed. Every other call: as is.
cat >"$WRAPPER" <<WRAP
#!/bin/sh
if [ -s "$CTL/spec" ] && [ -s "$CTL/command" ]; then
  case " \$* " in
    *" \$(cat "$CTL/command") "*)
      spec=\$(cat "$CTL/spec")
      rm -f "$CTL/spec"
      strace -qq -o /dev/null -e trace="\${spec%%:*}" -e inject="\$spec" -- "$(e2e_binary tardis-runc)" "\$@"
      code=\$?
      [ "\$code" = 137 ] && touch "$CTL/killed"
      exit "\$code" ;;
  esac
fi
exec "$(e2e_binary tardis-runc)" "\$@"
WRAP
chmod +x "$WRAPPER"
# The same for the real runc (and the CRIU it runs), named by $CTL/runc-command and
# $CTL/runc-spec; its exit status is noted in $CTL/runc-status.
RUNC_WRAPPER=$E2E_TMP/runc-injected
cat >"$RUNC_WRAPPER" <<WRAP
#!/bin/sh
if [ -s "$CTL/runc-spec" ] && [ -s "$CTL/runc-command" ]; then
  case " \$* " in
    *" \$(cat "$CTL/runc-command") "*)
      spec=\$(cat "$CTL/runc-spec")
      rm -f "$CTL/runc-spec"
      strace -f -qq -o /dev/null -e trace="\${spec%%:*}" -e inject="\$spec" -- "$REAL_RUNC" "\$@"
      code=\$?
      echo "\$code" >"$CTL/runc-status"
      exit "\$code" ;;
  esac
fi
exec "$REAL_RUNC" "\$@"
WRAP
chmod +x "$RUNC_WRAPPER"

start_node a "real_runc=$RUNC_WRAPPER"
IMAGE=$E2E_TMP/checkpoints/$E2E_NAMESPACE/job
TARDISCTL=$(e2e_binary tardisctl)
STATE=$(tardis_config_value "$TARDIS_CONFIG" state_dir)

# arm COMMAND SYSCALL N: the next COMMAND call dies entering its Nth SYSCALL.
arm() { rm -f "$CTL/killed"; echo "$1" >"$CTL/command"; echo "$2:signal=KILL:when=$3" >"$CTL/spec"; }
killed() { [[ -e $CTL/killed ]]; }
# The job's image as status sees it: "<valid> <created_unix_nanos>" (published, or the
# previous one of an interrupted publish).
image_state() {
  local valid dir
  read -r valid dir <<<"$("$TARDISCTL" status --json |
    jq -r '.containers[] | select(.id == "job") | "\(.image.valid) \(.image.dir)"' | head -n 1)"
  echo "$valid $(jq -r .created_unix_nanos "$dir/manifest.json" 2>/dev/null || echo 0)"
}
# When the image to restore from was made (published, or the previous of an interrupted
# publish), for when no container of the job exists to ask status about.
image_created() {
  local dir
  for dir in "$IMAGE" "$(dirname "$IMAGE")/.job.previous"; do
    [[ -f $dir/manifest.json ]] && { jq -r .created_unix_nanos "$dir/manifest.json"; return; }
  done
  echo none
}
# checkpointed_since BEFORE: a final checkpoint that ran to its end stopped the job and
# published a valid image newer than BEFORE.
checkpointed_since() {
  local valid created
  wait_for task_status_is a job STOPPED
  read -r valid created <<<"$(image_state)"
  assert_eq true "$valid" "the image of the checkpoint that ran to its end"
  ((created > $1)) || fail "the checkpoint that ran to its end published nothing"
}
not_paused() { [[ $(task_status a job) != PAUSED && ! -e $STATE/containers/$E2E_NAMESPACE/job/paused-by-tardis ]]; }
counting() { local n; n=$(last_count "$1"); wait_for count_at_least "$1" $((n + 3)); }
# checkpoint_job: a final checkpoint, run to its end; the job stops with a newer image.
# (ctr's own status is not Tardis's: containerd 1.6 may find the content of its
# checkpoint record, identical from one checkpoint of the container to the next, already
# stored, and fail after Tardis published.)
checkpoint_job() {
  local before
  before=$(image_created)
  run ctr_ a tasks checkpoint --exit job
  wait_for task_status_is a job STOPPED
  [[ $(image_created) != "$before" ]] || fail "the checkpoint published no image"
}
run_job() { run_container a job --runc "$WRAPPER" --env TARDIS_ENABLE=1 --log "$1" -- /bin/counter /count; }
# new_log: LOG names a fresh log file for the job's next container (not in a subshell,
# so that the counter advances).
n_log=0
new_log() { n_log=$((n_log + 1)); LOG=$E2E_TMP/job.$n_log.log; }

new_log
run_job "$LOG"
wait_for count_at_least "$LOG" 3
checkpoint_job  # a first image, so that "previous" means something
remove_container a job
trials=0

for syscall in $CHECKPOINT_SYSCALLS; do
  for ((n = 1; n <= MAX_N; n++)); do
    if [[ $(task_status a job) != RUNNING ]]; then
      remove_container a job
      new_log
      run_job "$LOG"
      wait_for task_status_is a job RUNNING
      wait_for count_at_least "$LOG" 2
    fi
    read -r _ before <<<"$(image_state)"
    pid=$(task_pid a job)
    arm checkpoint "$syscall" "$n"
    run ctr_ a tasks checkpoint --exit job
    trials=$((trials + 1))
    if ! killed; then
      # (ctr's status is not Tardis's: see checkpoint_job.)
      log "checkpoint: $syscall made $((n - 1)) times; swept"
      checkpointed_since "$before"
      break
    fi
    log "checkpoint killed entering $syscall #$n"
    wait_for not_paused
    read -r valid created <<<"$(image_state)"
    assert_eq true "$valid" "the image after a checkpoint killed at $syscall #$n"
    ((created >= before)) || fail "the image went back in time after a kill at $syscall #$n"
    case $(task_status a job) in
      RUNNING)
        counting "$LOG"
        assert_eq "$pid" "$(task_pid a job)" "the job's process after a kill at $syscall #$n" ;;
      STOPPED)
        ((created > before)) || fail "stopped with only its older image after a kill at $syscall #$n" ;;
      *) fail "task is $(task_status a job) after a kill at $syscall #$n" ;;
    esac
    run "$TARDISCTL" gc --min-age 0
    assert_status 0 "tardisctl gc"
    [[ -z $(find "$(dirname "$IMAGE")" -maxdepth 1 -name ".job.staging.*") ]] ||
      fail "a staging image survived gc after a kill at $syscall #$n"
  done
done

# Restores: the job stopped with an image; its next container restores.
remove_container a job
for syscall in $RESTORE_SYSCALLS; do
  for ((n = 1; n <= MAX_N; n++)); do
    image_before=$(tree_snapshot "$IMAGE")
    saved=$(image_created)
    arm create "$syscall" "$n"
    new_log
    run run_job "$LOG"
    trials=$((trials + 1))
    if ! killed; then
      assert_status 0 "restore with $syscall never reached $n times"
      log "restore: $syscall made $((n - 1)) times; swept"
      wait_for count_at_least "$LOG" 2
      (($(first_count "$LOG") > 1)) || fail "the uninjected restore started afresh"
      checkpoint_job
      remove_container a job
      break
    fi
    log "restore killed entering $syscall #$n"
    remove_container a job
    assert_eq "$image_before" "$(tree_snapshot "$IMAGE")" "the image after a restore killed at $syscall #$n"
    leftovers=$(grep -c -e "/job/criu-root" -e ".criu.cgyard" /proc/self/mountinfo || true)
    assert_eq 0 "$leftovers" "mounts left by a restore killed at $syscall #$n"
    # The job's next container restores from the same image.
    new_log
    run_job "$LOG"
    wait_for count_at_least "$LOG" 2
    (($(first_count "$LOG") > 1)) || fail "the job started afresh after a restore killed at $syscall #$n"
    assert_eq "$saved" "$(image_created)" "restoring changed the image"
    remove_container a job
  done
done
# runc and CRIU killed: first while they checkpoint the running job, then while they
# restore it.
arm_runc() { rm -f "$CTL/runc-status"; echo "$1" >"$CTL/runc-command"; echo "write:signal=KILL:when=$2" >"$CTL/runc-spec"; }
runc_status() { cat "$CTL/runc-status" 2>/dev/null || echo none; }
new_log
run_job "$LOG"
wait_for count_at_least "$LOG" 2
for n in $RUNC_WRITES; do
  [[ $(task_status a job) == RUNNING ]] || break
  read -r _ before <<<"$(image_state)"
  pid=$(task_pid a job)
  arm_runc checkpoint "$n"
  run ctr_ a tasks checkpoint --exit job
  trials=$((trials + 1))
  if [[ $(runc_status) == 0 ]]; then  # not reached: the job was checkpointed and stopped
    log "checkpoint: runc and CRIU made fewer than $n writes each"
    checkpointed_since "$before"
    break
  fi
  log "checkpoint: runc or CRIU killed entering write #$n (runc exit $(runc_status))"
  wait_for not_paused
  read -r valid created <<<"$(image_state)"
  assert_eq true "$valid" "the image after runc or CRIU was killed at write #$n"
  assert_eq "$before" "$created" "the image after runc or CRIU was killed at write #$n"
  assert_eq RUNNING "$(task_status a job)" "the job after runc or CRIU was killed at write #$n"
  counting "$LOG"
  assert_eq "$pid" "$(task_pid a job)" "the job's process after runc or CRIU was killed at write #$n"
done
[[ $(task_status a job) != RUNNING ]] || checkpoint_job
remove_container a job
for n in $RUNC_WRITES; do
  saved=$(image_created)
  arm_runc restore "$n"
  new_log
  run run_job "$LOG"
  trials=$((trials + 1))
  if [[ $(runc_status) == 0 ]]; then
    log "restore: runc and CRIU made fewer than $n writes each"
    remove_container a job
    break
  fi
  log "restore: runc or CRIU killed entering write #$n (runc exit $(runc_status))"
  remove_container a job
  assert_eq 0 "$(grep -c -e "/job/criu-root" -e ".criu.cgyard" /proc/self/mountinfo || true)" \
    "mounts left by a restore whose runc or CRIU was killed at write #$n"
  new_log
  run_job "$LOG"
  wait_for count_at_least "$LOG" 2
  (($(first_count "$LOG") > 1)) || fail "the job started afresh after runc or CRIU was killed at write #$n"
  assert_eq "$saved" "$(image_created)" "restoring changed the image"
  remove_container a job
done
rm -f "$CTL/runc-command"
log "$trials trials"
rm -f "$CTL/command"

finish_test
