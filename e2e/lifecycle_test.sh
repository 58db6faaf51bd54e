#!/usr/bin/env bash
# The checkpoint/restore lifecycle on real containers (SPEC.md "Lifecycle").
#
# 1. A counter job (a static C program, then the same job as a busybox shell script) runs
#    opted in under tardis-runc on a private containerd. It is checkpointed through
#    containerd, both ways containerd offers (`ctr c checkpoint --task`, which pauses and
#    asks for --leave-running; `ctr t checkpoint --exit`), removed, and run again with
#    the same id and env: the count continues from the checkpointed value, its stdout
#    keeps flowing, and the restored container can be exec'd into, killed and deleted.
# 2. Files: everything a container did to its filesystem is there after the restore,
#    exactly (contents, deletions from the image, modes, owners, times, links, xattrs).
# 3. A container that does not opt in is checkpointed by runc as usual, keeps running,
#    and nothing of Tardis's is written.
# 4. Bad images (truncated, failed, tampered, hostile) and a restore runc rejects: the
#    container starts fresh, its upperdir is as without Tardis, nothing outside changes.
# 5. Checkpoints that fail, before runc (image dir not writable) and in runc (a process
#    CRIU cannot seize): the container keeps running, the image stays. An upperdir that
#    cannot be archived while CRIU dumps (a path longer than any archive entry may be):
#    containerd gets CRIU's dump as plain runc would have given it, no image is written.
#
# Run directly (as root): bazel build //cmd:all //e2e/...  &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e \
#   bash e2e/lifecycle_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
require_tool jq
start_node a log_level=DEBUG
IMAGES=$E2E_TMP/checkpoints/$E2E_NAMESPACE
OPT_IN=(--env TARDIS_ENABLE=1)
declare -A observed

# last_count LOG: the last number the counter printed into LOG.

# counter_survives HOW PROGRAM: the story above, for one way of checkpointing.
counter_survives() {
  local how=$1 program=$2 id="job-$1"
  log "--- $program, checkpointed with ctr $how checkpoint"
  run_container a "$id" "${OPT_IN[@]}" --log "$E2E_TMP/$id.1.log" -- "$program" /count
  wait_for count_at_least "$E2E_TMP/$id.1.log" 15

  checkpoint_container a "$id" "$how"
  # Tardis's checkpoint stops the container: it must not drift from its image.
  wait_for task_status_is a "$id" STOPPED
  local saved
  saved=$(last_count "$E2E_TMP/$id.1.log")
  assert_file_exists "$IMAGES/$id/manifest.json"
  assert_file_exists "$IMAGES/$id/rootfs.tar"
  assert_file_contains "$IMAGES/$id/criu/dump.log" "Dumping finished successfully"
  log "checkpointed at $saved"

  delete_stopped a "$id"
  assert_file_exists "$IMAGES/$id/manifest.json"  # exit 137 (CRIU's kill): the image stays

  run_container a "$id" "${OPT_IN[@]}" --log "$E2E_TMP/$id.2.log" -- "$program" /count
  wait_for task_status_is a "$id" RUNNING
  wait_for count_at_least "$E2E_TMP/$id.2.log" $((saved + 5))
  assert_eq "$((saved + 1))" "$(first_count "$E2E_TMP/$id.2.log")" "the count continues where it stopped"
  assert_contains "$(cat "$(tardis_log a)")" "$E2E_NAMESPACE/$id: restored from"

  # The restored container is an ordinary container.
  run ctr_ a tasks exec --exec-id probe "$id" cat /count
  assert_status 0
  ((output > saved)) || fail "the file in the container says $output, not more than $saved"
  ctr_ a tasks kill -s SIGKILL "$id"
  delete_stopped a "$id"
}

counter_survives container /bin/counter
counter_survives task /bin/counter.sh

# ---------------------------------------------------------------------------------------
# 2. Files
log "--- files"
run_container a files "${OPT_IN[@]}" -- sleep 100000
wait_for task_status_is a files RUNNING
ctr_ a tasks exec --exec-id setup files sh -c '
  set -e
  echo changed >>/etc/greeting                      # modified, from the image layer
  rm /etc/old-dir/a                                 # deleted from the image: a whiteout
  rm /bin/vi                                        # an image symlink deleted
  mkdir /etc/replaced && rm -r /etc/old-dir && mkdir /etc/old-dir && echo c >/etc/old-dir/c  # opaque
  mkdir -p /data/deep/er/est && chmod 0700 /data/deep
  echo created >/data/new.txt && mv /data/new.txt /data/renamed.txt
  ln -s renamed.txt /data/link && ln -s /nowhere /data/dangling
  ln /data/renamed.txt /data/hard
  echo owned >/data/owned && chown 1234:5678 /data/owned
  cp /bin/busybox /data/suid && chmod 4755 /data/suid && chmod 1777 /data/deep/er
  echo old >/data/old && touch -d "2001-02-03 04:05:06" /data/old
  mkfifo /data/fifo
  echo spaces >"/data/name with spaces"
  : >/data/empty
  dd if=/dev/zero of=/data/big bs=1024 count=2048 2>/dev/null
'
ROOTFS=$(container_rootfs a files)
setfattr -n user.tardis -v hello "$ROOTFS/data/renamed.txt"
setfattr -n trusted.tardis -v secret "$ROOTFS/data/owned"
before=$(tree_snapshot "$ROOTFS")
upper_before=$(tree_snapshot "$(container_upperdir a files)")
checkpoint_container a files container
delete_stopped a files
run_container a files "${OPT_IN[@]}" -- sleep 100000
wait_for task_status_is a files RUNNING
assert_eq "$before" "$(tree_snapshot "$(container_rootfs a files)")" "the container's files after the restore"
assert_eq "$upper_before" "$(tree_snapshot "$(container_upperdir a files)")" "the upperdir after the restore"
remove_container a files

# ---------------------------------------------------------------------------------------
# 3. Not opted in: runc's own checkpoint, and nothing of Tardis's.
log "--- a container that does not opt in"
for runc in "$REAL_RUNC" "$(e2e_binary tardis-runc)"; do
  id=plain-$(basename "$runc")
  run_container a "$id" --runc "$runc" --log "$E2E_TMP/$id.log" -- /bin/counter /count
  wait_for count_at_least "$E2E_TMP/$id.log" 3
  run ctr_ a containers checkpoint --task "$id" "checkpoint/$id:e2e"
  assert_status 0
  observed[$id]="exit=$status out=$output err=$errors"
  wait_for task_status_is a "$id" RUNNING  # --leave-running, as runc does it
  saved=$(last_count "$E2E_TMP/$id.log")
  wait_for count_at_least "$E2E_TMP/$id.log" $((saved + 3))
  # Read whole: `ctr ... | grep -q` under pipefail fails when ctr dies of SIGPIPE.
  grep -qx "checkpoint/$id:e2e" <<<"$(ctr_ a images ls -q)" || fail "containerd made no checkpoint image for $id"
  ctr_ a images rm "checkpoint/$id:e2e" >/dev/null
  remove_container a "$id"
done
assert_eq "${observed[plain-runc]}" "${observed[plain-tardis-runc]}" "ctr's checkpoint output, Tardis vs runc"
assert_file_missing "$IMAGES/plain-tardis-runc"
assert_file_missing "$E2E_TMP/a/tardis-state/containers/$E2E_NAMESPACE/plain-tardis-runc"

# ---------------------------------------------------------------------------------------
# 4. Bad images: the container starts fresh, as if there were no image.
log "--- bad images"
IMAGE_TOOL=$(e2e_built tools/image_tool)
OUTSIDE=$E2E_TMP/outside
mkdir -p "$OUTSIDE" && echo untouched >"$OUTSIDE/sentinel"
outside_before=$(tree_snapshot "$OUTSIDE")

# What a fresh counter's upperdir holds, by name: the baseline for "as without Tardis".
run_container a baseline --log "$E2E_TMP/baseline.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/baseline.log" 2
fresh_names=$(cd "$(container_upperdir a baseline)" && find . -mindepth 1 | sort)
remove_container a baseline

# A good image to spoil, of a container that left a marker file.
run_container a spoiled "${OPT_IN[@]}" --log "$E2E_TMP/spoiled.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/spoiled.log" 3
ctr_ a tasks exec --exec-id mark spoiled sh -c 'echo mark >/marker'
checkpoint_container a spoiled container
delete_stopped a spoiled
PRISTINE=$E2E_TMP/pristine
cp -a "$IMAGES/spoiled" "$PRISTINE"

# starts_fresh CASE REASON SPOIL...: a pristine copy of the image, spoiled by the SPOIL
# command; the container must start from 1 with a fresh upperdir, and the log say why.
starts_fresh() {
  local case=$1 reason=$2; shift 2
  log "bad image: $case"
  rm -rf "$IMAGES/spoiled" && cp -a "$PRISTINE" "$IMAGES/spoiled"
  "$@"
  local out=$E2E_TMP/spoiled.$case.log
  run_container a spoiled "${OPT_IN[@]}" --log "$out" -- /bin/counter /count
  wait_for task_status_is a spoiled RUNNING
  wait_for count_at_least "$out" 2
  assert_eq 1 "$(first_count "$out")" "$case: the count starts afresh"
  local names
  names=$(cd "$(container_upperdir a spoiled)" && find . -mindepth 1 | sort)
  assert_eq "$fresh_names" "$names" "$case: the upperdir holds what a fresh container's does"
  assert_eq "$outside_before" "$(tree_snapshot "$OUTSIDE")" "$case: nothing outside the upperdir changed"
  assert_file_missing "$(dirname "$(container_upperdir a spoiled)")/pwned"
  assert_contains "$(tail -n 30 "$(tardis_log a)")" "$reason"
  remove_container a spoiled
}
I=$IMAGES/spoiled
hostile() { "$IMAGE_TOOL" tar "$I/rootfs.tar" "$1" && "$IMAGE_TOOL" reseal "$I"; }
starts_fresh truncated-dump-log "dump.log does not end" truncate -s 64 "$I/criu/dump.log"
starts_fresh failed-dump-log "dump.log does not end" \
  sh -c "echo '(99.9) Error (criu/cr-dump.c:1): Dumping FAILED.' >>$I/criu/dump.log"
starts_fresh no-manifest "no manifest" rm "$I/manifest.json"
starts_fresh no-archive "missing the upperdir archive" rm "$I/rootfs.tar"
starts_fresh corrupted-archive "unpacking the saved files" \
  dd if=/dev/urandom of="$I/rootfs.tar" bs=1 count=16 seek=700 conv=notrunc status=none
starts_fresh changed-criu-file "does not match the manifest" sh -c "echo x >>$I/criu/inventory.img"
starts_fresh other-container "the image is of" sed -i 's/"spoiled"/"someone-else"/' "$I/manifest.json"
starts_fresh absolute-path "unpacking the saved files" hostile "file $OUTSIDE/pwned x"
starts_fresh dot-dot "unpacking the saved files" hostile "file ../pwned x"
starts_fresh through-symlink "unpacking the saved files" hostile "symlink evil $OUTSIDE | file evil/pwned x"
starts_fresh through-dotdot-symlink "unpacking the saved files" hostile "symlink up .. | file up/pwned x"
starts_fresh hardlink-out "unpacking the saved files" hostile "hardlink hard $OUTSIDE/sentinel"
starts_fresh device-node "unpacking the saved files" hostile "blockdev disk 8 0"
# A restore runc rejects: CRIU's own files damaged (and the manifest made to match).
# runc has used the rootfs by then; the rollback still leaves it exactly fresh.
starts_fresh restore-rejected "runc restore" \
  sh -c "for f in $I/criu/core-*.img; do head -c 8 \"\$f\" >\"\$f.x\" && mv \"\$f.x\" \"\$f\"; done && $IMAGE_TOOL reseal $I"

# Signed images: with the nodes' key (image_key_file, here $E2E_TMP/image.key) a restore
# takes only an image whose MAC verifies. The unsigned image above no longer restores; a
# checkpoint now signs; a forger who rewrites the archive and every digest (but has no
# key) is refused; the signed image itself restores.
KEY=$(tardis_config_value "${E2E_CONFIG[a]}" image_key_file)
head -c 32 /dev/urandom >"$KEY" && chmod 600 "$KEY"
starts_fresh unsigned-with-a-key "the image is not signed, and this node has a key" true
run_container a spoiled "${OPT_IN[@]}" --log "$E2E_TMP/signed.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/signed.log" 3
checkpoint_container a spoiled container
wait_for task_status_is a spoiled STOPPED
remove_container a spoiled
assert_contains "$(cat "$I/manifest.json")" '"mac"'
rm -rf "$PRISTINE" && cp -a "$I" "$PRISTINE"
starts_fresh forged-with-every-digest "its MAC does not verify" hostile "file forged x"
rm -rf "$I" && cp -a "$PRISTINE" "$I"
signed_saved=$(last_count "$E2E_TMP/signed.log")
run_container a spoiled "${OPT_IN[@]}" --log "$E2E_TMP/signed.2.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/signed.2.log" $((signed_saved + 2))
assert_eq "$((signed_saved + 1))" "$(first_count "$E2E_TMP/signed.2.log")" "a signed image restores where it stopped"
assert_contains "$(tail -n 30 "$(tardis_log a)")" "restored from"
remove_container a spoiled
rm -f "$KEY"

# ---------------------------------------------------------------------------------------
# 5. Checkpoints that fail: the container keeps running and the previous image stays.
log "--- failing checkpoints"
run_container a keeps "${OPT_IN[@]}" --log "$E2E_TMP/keeps.1.log" -- /bin/counter /count
wait_for count_at_least "$E2E_TMP/keeps.1.log" 3
checkpoint_container a keeps container
delete_stopped a keeps
run_container a keeps "${OPT_IN[@]}" --log "$E2E_TMP/keeps.2.log" -- /bin/counter /count
wait_for task_status_is a keeps RUNNING
image_before=$(tree_snapshot "$IMAGES/keeps")

# Before runc: the image directory cannot be written.
mount --bind "$IMAGES" "$IMAGES" && mount -o remount,bind,ro "$IMAGES"
run ctr_ a containers checkpoint --task keeps checkpoint/keeps:ro
umount "$IMAGES"
assert_status 0  # containerd's own checkpoint, passed to runc unchanged
ctr_ a images rm checkpoint/keeps:ro >/dev/null
wait_for task_status_is a keeps RUNNING
now=$(last_count "$E2E_TMP/keeps.2.log")
wait_for count_at_least "$E2E_TMP/keeps.2.log" $((now + 3))
assert_eq "$image_before" "$(tree_snapshot "$IMAGES/keeps")" "the previous image after a failed checkpoint"
assert_contains "$(cat "$(tardis_log a)")" "passing containerd's checkpoint to runc unchanged"

# In runc: a process CRIU cannot seize (another process already traces it).
ctr_ a tasks exec -d --exec-id undumpable keeps /bin/undumpable
probes=0
traced_child_runs() { [[ $(ctr_ a tasks exec --exec-id "probe-$((probes++))" keeps ps | grep -c undumpable) == 2 ]]; }
wait_for traced_child_runs
run ctr_ a containers checkpoint --task keeps checkpoint/keeps:undumpable
assert_ne 0 "$status" "checkpointing a container CRIU cannot dump"
wait_for task_status_is a keeps RUNNING
now=$(last_count "$E2E_TMP/keeps.2.log")
wait_for count_at_least "$E2E_TMP/keeps.2.log" $((now + 3))
assert_eq "$image_before" "$(tree_snapshot "$IMAGES/keeps")" "the previous image after runc failed"
assert_contains "$(cat "$(tardis_log a)")" "runc checkpoint failed with status"
remove_container a keeps

# Alongside runc: the archive fails (a path of 45 x 101 bytes), CRIU's dump succeeds.
run_container a deep "${OPT_IN[@]}" -- sleep 100000
wait_for task_status_is a deep RUNNING
# (Made from the host: busybox's cd refuses a working directory that long.)
(cd "$(container_upperdir a deep)" && for i in $(seq 45); do
   n=$(printf "%0100d" "$i") && mkdir "$n" && cd "$n" || exit 1
 done)
run ctr_ a containers checkpoint --task deep checkpoint/deep:handover
assert_status 0
assert_file_missing "$IMAGES/deep"
assert_contains "$(cat "$(tardis_log a)")" "archiving the upperdir failed"
assert_contains "$(cat "$(tardis_log a)")" "as plain runc's would have"
# containerd's checkpoint image (an index in its content store) holds CRIU's files.
blobs=$(node_dir a)/root/io.containerd.content.v1.content/blobs/sha256
index=$(ctr_ a images ls | awk '$1 == "checkpoint/deep:handover" { print $3 }')
criu_layer=$(jq -r '.manifests[] | select(.mediaType | test("criu")) | .digest' "$blobs/${index#sha256:}")
[[ -n $criu_layer ]] || fail "no CRIU layer in containerd's checkpoint: $(cat "$blobs/${index#sha256:}")"
grep -qx 'inventory.img' <<<"$(tar -tf "$blobs/${criu_layer#sha256:}")" ||
  fail "containerd's checkpoint holds no CRIU dump: $(tar -tf "$blobs/${criu_layer#sha256:}" | head)"
ctr_ a images rm checkpoint/deep:handover >/dev/null
remove_container a deep

finish_test
