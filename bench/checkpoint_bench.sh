#!/usr/bin/env bash
# checkpoint_bench: checkpoint and restore through tardis-runc against doing the same by
# hand with runc and GNU tar, on the same container state.
#
# The container: a runc bundle whose rootfs is an overlay this script mounts itself
# (lower: a busybox rootfs; upper/work: fresh dirs), process checkpoint_bench_helper
# `dirty`, which fills 64 MiB of malloc'ed memory with pseudo-random data and then sleeps;
# its upperdir holds 10,000 files, 200 MiB (the tree bench/archive_bench.cc makes), copied
# in before the container starts. config.json has TARDIS_ENABLE=1 (both variants), stdio
# is /dev/null (CRIU wants no host files).
#
# Per repetition, both variants run on containers made the same way, their timed steps
# back to back, the order alternating from one repetition to the next; `sync` runs
# (untimed) before every timed step, so none pays for earlier writeback, and nothing is
# deleted until the end (on ext4 without a journal, files created in the minutes after a
# mass deletion are much slower to create, which would bias whichever variant ran first):
#   checkpoint (the container is paused first with `runc pause`, as containerd does
#   before it checkpoints):
#     tardis   tardis-runc --root <tmp>/runc/bench checkpoint --image-path P --work-path W ID
#              (what containerd sends; Tardis starts runc checkpoint into a staging
#              image and archives the upperdir into it while CRIU dumps, then seals
#              and publishes it)
#     by hand  tar --xattrs --xattrs-include='*' --numeric-owner -cf X/rootfs.tar -C upper .
#              runc --root <tmp>/runc/hand checkpoint --image-path X/criu ID
#     by hand + fsync: the same, then `sync` of its files and dirs (Tardis makes its image
#              durable before publishing it; shown for comparison, not the target)
#   restore (a fresh, empty upperdir mounted at <bundle>/rootfs, the old container gone):
#     tardis   tardis-runc --root <tmp>/runc/bench create --bundle B ID   (its image is at
#              <checkpoint_base>/bench/ID; it unpacks and runs runc restore --detach)
#     by hand  tar --xattrs --xattrs-include='*' --numeric-owner -xf X/rootfs.tar -C upper
#              runc --root <tmp>/runc/hand restore --detach --image-path X/criu --bundle B ID
# After every restore (untimed): the container is running, SIGUSR1 makes the process
# checksum its buffer again and the sum equals the one it wrote before the checkpoint,
# and the upperdir holds every file; for Tardis also that its image was published (not
# runc's checkpoint passed through) and that its `start` is skipped.
# Prints wall-time medians per variant, the Tardis / by-hand ratios (of the medians, and
# the median of per-repetition ratios), and the image sizes.
#
# --signed gives the node an image key (image_key_file): Tardis then signs each image and
# verifies it at restore, as a node sharing a store with a key does.
#
# --profile runs Tardis at log_level DEBUG with real_runc = a wrapper that timestamps
# each runc call, and prints where Tardis's time goes (startup, its own work, runc). It
# also checkpoints a third container per repetition by hand, durably, the way Tardis
# does it: tar running while runc checkpoints, then sync ("by hand + fsync, concurrent").
#
# Files: by default (--fs=loop) on a private ext4 filesystem, loop-mounted from a sparse
# file in a temp dir under --dir, so that what other people on the machine create and
# delete does not change how fast files are created here (see --fs below); --fs=dir
# works in a temp dir under --dir directly.
#
# Needs root, runc, CRIU, mkfs.ext4 and a loop device (or --fs=dir). Usage:
#   bazel --output_base=/tmp/bazel-bench run -c opt //bench:checkpoint_bench -- \
#       [--reps=5] [--mem-mib=64] [--files=10000] [--tree-mib=200] [--dir=/tmp]
#       [--fs=loop|dir] [--profile] [--signed] [--keep] [--runc=/usr/sbin/runc] [--tardis-runc=PATH]
#       [--helper=PATH]
# Removes everything it made (containers, mounts, the loop filesystem, its temp dir), also
# on failure or interrupt; --keep keeps the files (containers still go).
set -euo pipefail
# runc execs `criu` from PATH: the CRIU in /usr/local/sbin must come first.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

REPS=5
MEM_MIB=64
FILES=10000
TREE_MIB=200
DIR=/tmp
FS=loop
PROFILE=0
SIGNED=0
KEEP=0
RUNC=/usr/sbin/runc
TARDIS_RUNC=""
HELPER=""
BUSYBOX=/bin/busybox

die() {
  echo "checkpoint_bench: $*" >&2
  exit 2
}
note() { echo "checkpoint_bench: $*" >&2; }

for arg in "$@"; do
  case $arg in
    --reps=*) REPS=${arg#*=} ;;
    --mem-mib=*) MEM_MIB=${arg#*=} ;;
    --files=*) FILES=${arg#*=} ;;
    --tree-mib=*) TREE_MIB=${arg#*=} ;;
    --dir=*) DIR=${arg#*=} ;;
    --fs=*) FS=${arg#*=} ;;
    --profile) PROFILE=1 ;;
    --signed) SIGNED=1 ;;
    --keep) KEEP=1 ;;
    --runc=*) RUNC=${arg#*=} ;;
    --tardis-runc=*) TARDIS_RUNC=${arg#*=} ;;
    --helper=*) HELPER=${arg#*=} ;;
    *) die "unknown argument $arg (flags: --reps=N --mem-mib=N --files=N --tree-mib=N --dir=D --fs=loop|dir --profile --signed --keep --runc=P --tardis-runc=P --helper=P)" ;;
  esac
done
[[ $FS == loop || $FS == dir ]] || die "--fs is loop or dir, not $FS"
[[ $REPS =~ ^[1-9][0-9]*$ && $MEM_MIB =~ ^[1-9][0-9]*$ && $FILES =~ ^[1-9][0-9]*$ && $TREE_MIB =~ ^[1-9][0-9]*$ ]] ||
  die "--reps, --mem-mib, --files and --tree-mib must be positive integers"
[[ $(id -u) == 0 ]] || die "must run as root (containers, mounts, CRIU)"

# A file of this target's runfiles (bazel run: RUNFILES_DIR, or the cwd is the runfiles
# root; run directly: <script>.runfiles).
runfile() {
  local rel=$1 base
  for base in "${RUNFILES_DIR:-}" "$0.runfiles" "$(readlink -f "$0").runfiles"; do
    [[ -n $base && -x $base/tardis/$rel ]] && { readlink -f "$base/tardis/$rel"; return 0; }
  done
  [[ -x $rel ]] && { readlink -f "$rel"; return 0; }
  die "cannot find $rel in runfiles; pass --tardis-runc=PATH / --helper=PATH"
}
[[ -n $TARDIS_RUNC ]] || TARDIS_RUNC=$(runfile cmd/tardis-runc)
[[ -n $HELPER ]] || HELPER=$(runfile bench/checkpoint_bench_helper)
for tool in "$RUNC" "$TARDIS_RUNC" "$HELPER" "$BUSYBOX" criu tar jq mkfs.ext4 losetup; do
  command -v "$tool" >/dev/null || die "missing $tool"
done
[[ -x $(dirname "$TARDIS_RUNC")/tardis-runc-handler ]] ||
  die "no tardis-runc-handler beside $TARDIS_RUNC (the front-end execs it for checkpoint and create)"

# ---------------------------------------------------------------------------------------
# The temp dir, and removing everything in it whatever happens

# Nothing is deleted before the end (see trash() below): per repetition, each container's
# copy of the tree and its image (tree + 10% + memory), and two restored trees, stay.
CONTAINERS=$((2 + PROFILE))
NEED_MIB=$((REPS * (CONTAINERS * (2 * TREE_MIB + TREE_MIB / 10 + MEM_MIB + 16) + 2 * TREE_MIB + 64) + TREE_MIB + 256))
AVAIL_MIB=$(($(df --output=avail -k "$DIR" | tail -n 1) / 1024))
((AVAIL_MIB > NEED_MIB)) || die "$DIR has $AVAIL_MIB MiB free; this run needs about $NEED_MIB MiB"
T=$(mktemp -d "$DIR/tardis-ckbench.XXXXXX")
chmod 0755 "$T"
TOP=$T  # what the clean-up removes; with --fs=loop, $T moves into the private filesystem
IMAGE_FILE=""
LOOP_DEV=""
TAG=ckb$$  # container ids (and so cgroup paths) unique on this machine

mounts_under() {  # mount points under $1, deepest first
  local mp
  while read -r _ _ _ _ mp _; do
    mp=$(printf '%b' "${mp//\\/\\0}")
    [[ $mp == "$1" || $mp == "$1"/* ]] && printf '%s\t%s\n' "${#mp}" "$mp"
  done </proc/self/mountinfo | sort -t $'\t' -k1,1nr | cut -f2- | uniq
}

cleanup() {
  local rc=$? root id mp
  trap - EXIT INT TERM
  set +e
  cd /
  for root in "${RT:-}" "${RH:-}"; do
    [[ -n $root && -d $root ]] || continue
    for id in $(timeout 30 "$RUNC" --root "$root" list -q 2>/dev/null); do
      if [[ $(timeout 30 "$RUNC" --root "$root" state "$id" 2>/dev/null | jq -r .status 2>/dev/null) == paused ]]; then
        timeout 30 "$RUNC" --root "$root" resume "$id" >/dev/null 2>&1
      fi
      timeout 30 "$RUNC" --root "$root" delete --force "$id" >/dev/null 2>&1 ||
        note "cleanup: runc delete --force $id failed"
    done
  done
  if ((KEEP)) && [[ -n $IMAGE_FILE ]]; then
    # Keep the files: unmount only the containers' rootfs, leave the private fs mounted.
    for mp in $(mounts_under "$T/c"); do umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null; done
    note "--keep: kept $TOP (the private filesystem stays mounted at $TOP/fs from $LOOP_DEV: umount it, losetup -d $LOOP_DEV, then remove $TOP)"
    exit "$rc"
  fi
  # Deepest first: the containers' rootfs, then the private filesystem and its loop device.
  for _ in 1 2 3; do
    for mp in $(mounts_under "$TOP"); do umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null; done
  done
  if [[ -n $LOOP_DEV ]]; then
    losetup -d "$LOOP_DEV" 2>/dev/null || note "cleanup: could not detach $LOOP_DEV"
  fi
  if [[ -n $(mounts_under "$TOP") ]]; then
    note "cleanup: mounts remain under $TOP; not removing it"
  elif ((KEEP)); then
    note "--keep: kept $TOP"
  else
    rm -rf --one-file-system "$TOP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'note interrupted; exit 130' INT
trap 'note terminated; exit 143' TERM

# --fs=loop (default): everything lives on a private ext4 filesystem (default mkfs
# options, journaled) in a sparse file under --dir, on a loop device. File creation on a
# shared filesystem depends on what others deleted lately: on the machine this was
# written on, / is ext4 without a journal, where every new inode first skips the inodes
# deleted in the last minutes (find_inode_bit -> recently_deleted, 80% of `tar -x`'s
# time in perf), which made the same `tar -x` take 0.4 s or 5 s depending on other
# people's builds. --fs=dir uses --dir as is.
# The loop device does direct I/O on its backing file: the filesystem then behaves like
# one on a disk (a buffered loop device keeps its writes dirty in the backing file's page
# cache, where `sync` may leave them for the next fsync to pay).
if [[ $FS == loop ]]; then
  IMAGE_FILE=$TOP/fs.img
  truncate -s "$((NEED_MIB + NEED_MIB / 4 + 512))M" "$IMAGE_FILE"
  mkfs.ext4 -q -F "$IMAGE_FILE" || die "mkfs.ext4 $IMAGE_FILE failed"
  mkdir "$TOP/fs"
  LOOP_DEV=$(losetup -f --show --direct-io=on "$IMAGE_FILE") || die "no loop device for $IMAGE_FILE; try --fs=dir"
  mount "$LOOP_DEV" "$TOP/fs" || die "cannot mount $LOOP_DEV ($IMAGE_FILE); try --fs=dir"
  T=$TOP/fs/bench
  mkdir -m 0755 "$T"
fi
RT=$T/runc/bench   # tardis-runc's --root: the namespace is "bench"
RH=$T/runc/hand    # the by-hand containers' runc root

# ---------------------------------------------------------------------------------------
# Set-up: the lower layer, the seed tree, Tardis's config

now_us() { echo "${EPOCHREALTIME/./}"; }

note "building the busybox rootfs and the $FILES-file, $TREE_MIB MiB seed tree in $T"
LOWER=$T/lower
mkdir -p "$LOWER"/{bin,proc,sys,dev,etc,tmp,root}
cp "$BUSYBOX" "$LOWER/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$LOWER/bin/$applet"
done
install -m 0755 "$HELPER" "$LOWER/bin/ckhelper"
SEED=$T/seed
"$HELPER" tree "$SEED" "$FILES" "$TREE_MIB"
SEED_BYTES=$(find "$SEED" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')

mkdir -p "$T/template" "$T/checkpoints" "$T/state"
"$RUNC" spec --bundle "$T/template"
jq --arg mib "$MEM_MIB" '.process.terminal = false | .root.readonly = false
  | .process.args = ["/bin/ckhelper", "dirty", $mib, "/"]
  | .process.env = ["PATH=/bin", "TARDIS_ENABLE=1"]' \
  "$T/template/config.json" >"$T/template/config.json.new"
mv "$T/template/config.json.new" "$T/template/config.json"

REAL_RUNC=$RUNC
LOG_LEVEL=WARNING
if ((PROFILE)); then
  # Times every runc call Tardis makes: "<start_us> <end_us> <status> <argv>".
  REAL_RUNC=$T/runc-timed
  cat >"$REAL_RUNC" <<EOF
#!/bin/bash
s=\${EPOCHREALTIME/./}
"$RUNC" "\$@"
rc=\$?
echo "\$s \${EPOCHREALTIME/./} \$rc \$*" >>"$T/runc-times"
exit \$rc
EOF
  chmod 0755 "$REAL_RUNC"
  LOG_LEVEL=DEBUG
fi
# tardis_listen points nowhere: no listener is wanted here (create would start one).
cat >"$T/tardis.conf" <<EOF
real_runc = $REAL_RUNC
log_file = $T/tardis.log
log_level = $LOG_LEVEL
state_dir = $T/state
checkpoint_base = $T/checkpoints
allowed_roots = $T/checkpoints
tardis_listen = /nonexistent/tardis-listen
image_key_file = $T/image.key
EOF
export TARDIS_CONFIG=$T/tardis.conf
# --signed: the node has an image key, so Tardis signs its images (SHA-256 of every file,
# HMAC of the manifest) and verifies them at restore; without it, no key file exists.
if ((SIGNED)); then head -c 32 /dev/urandom >"$T/image.key" && chmod 600 "$T/image.key"; fi

# ---------------------------------------------------------------------------------------
# One container: $T/c/ID/{upper,work,bundle/rootfs}

cdir() { echo "$T/c/$1"; }
upper() { echo "$T/c/$1/upper"; }

# Nothing is deleted until the end: on ext4 without a journal, creating files in the
# minutes after many were deleted is much slower (the inode allocator skips recently
# deleted inodes), so a deletion before a timed step could slow whichever variant comes
# first. What is done with moves to $T/trash.
TRASHED=0
trash() {
  local path
  mkdir -p "$T/trash"
  for path in "$@"; do
    [[ -e $path ]] || continue
    TRASHED=$((TRASHED + 1))
    mv "$path" "$T/trash/$TRASHED"
  done
}

# mount_rootfs ID: a fresh upper/work, overlaid on the lower layer at the bundle's rootfs.
mount_rootfs() {
  local d
  d=$(cdir "$1")
  trash "$d/upper" "$d/work"
  mkdir -p "$d/upper" "$d/work" "$d/bundle/rootfs"
  [[ -f $d/bundle/config.json ]] || cp "$T/template/config.json" "$d/bundle/config.json"
  mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work" "$d/bundle/rootfs"
}
unmount_rootfs() { umount "$(cdir "$1")/bundle/rootfs"; }

runc_root() { [[ $1 == *-t* ]] && echo "$RT" || echo "$RH"; }
status_of() { "$RUNC" --root "$(runc_root "$1")" state "$1" 2>/dev/null | jq -r .status 2>/dev/null || echo none; }

# start_container ID: the upperdir gets the seed tree, then create + start (the Tardis
# variant through tardis-runc, so Tardis records it as opted in), then waits until the
# process has dirtied its memory, and pauses it.
start_container() {
  local id=$1 runc=$RUNC d
  d=$(cdir "$id")
  [[ $id == *-t* ]] && runc=$TARDIS_RUNC
  mount_rootfs "$id"
  cp -a "$SEED/." "$d/upper/"
  # The container's stdio is create's: /dev/null (CRIU cannot dump a host file there).
  "$runc" --root "$(runc_root "$id")" create --bundle "$d/bundle" "$id" </dev/null >/dev/null 2>&1 ||
    die "$runc create $id failed (try it by hand; see $T/tardis.log)"
  "$runc" --root "$(runc_root "$id")" start "$id" </dev/null >/dev/null 2>&1 || die "$runc start $id failed"
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s $d/upper/ready ]] && break
    sleep 0.1
  done
  [[ -s $d/upper/ready ]] || die "$id never wrote /ready"
  cp "$d/upper/ready" "$d/ready.before"
  "$RUNC" --root "$(runc_root "$id")" pause "$id" || die "runc pause $id failed"
}

hand_image() { echo "$T/hand-images/$1"; }
tardis_image() { echo "$T/checkpoints/bench/$1"; }

declare -A TIMES=()  # "variant" -> space-separated microseconds, one per repetition
record() { TIMES[$1]+="$2 "; }

checkpoint_tardis() {
  local id=$1 t0 t1
  mkdir -p "$T/ctd/$id/image" "$T/ctd/$id/work"
  sync
  t0=$(now_us)
  "$TARDIS_RUNC" --root "$RT" checkpoint --image-path "$T/ctd/$id/image" --work-path "$T/ctd/$id/work" "$id" \
    </dev/null >/dev/null 2>>"$T/errors" || die "tardis-runc checkpoint $id failed: $(tail -n 5 "$T/errors")"
  t1=$(now_us)
  record "checkpoint tardis" $((t1 - t0))
  [[ -f $(tardis_image "$id")/manifest.json ]] ||
    die "tardis-runc checkpoint $id published no image (passed through to runc?); see $T/tardis.log"
  # Tardis leaves only a note there (tardis-image.json); CRIU's files mean runc wrote it.
  [[ ! -e $T/ctd/$id/image/inventory.img && ! -e $T/ctd/$id/image/dump.log ]] ||
    die "runc wrote containerd's image path: Tardis passed the checkpoint through"
  PROFILE_CKPT=("$t0" "$t1")
  # Tardis dumps with --leave-running and stops the container once its image is
  # published, so runc still lists it, stopped, where runc's own checkpoint removes it.
  # containerd deletes it next; so does this, untimed.
  local i
  for ((i = 0; i < 500; i++)); do [[ $(status_of "$id") == running || $(status_of "$id") == paused ]] || break; sleep 0.01; done
  [[ $(status_of "$id") == stopped ]] && "$RUNC" --root "$RT" delete "$id" 2>>"$T/errors"
  return 0
}

checkpoint_hand() {
  local id=$1 x t0 t1 t2 t3
  x=$(hand_image "$id")
  mkdir -p "$x/criu"
  sync
  t0=$(now_us)
  tar --xattrs --xattrs-include='*' --numeric-owner -cf "$x/rootfs.tar" -C "$(upper "$id")" .
  t1=$(now_us)
  "$RUNC" --root "$RH" checkpoint --image-path "$x/criu" "$id" </dev/null >/dev/null 2>>"$T/errors" ||
    die "runc checkpoint $id failed: $(tail -n 5 "$T/errors")"$'\n'"$(grep -m 5 Error "$x/criu/dump.log" 2>/dev/null)"
  t2=$(now_us)
  sync "$x/rootfs.tar" "$x"/criu/* "$x/criu" "$x"
  t3=$(now_us)
  record "checkpoint by hand" $((t2 - t0))
  record "checkpoint by hand + fsync" $((t3 - t0))
  record "  by hand: tar -c" $((t1 - t0))
  record "  by hand: runc checkpoint" $((t2 - t1))
}

# --profile only: the by-hand checkpoint done as Tardis does it, tar while CRIU dumps,
# then everything made durable.
checkpoint_overlap() {
  local id=$1 x t0 t1 dumper
  x=$(hand_image "$id")
  mkdir -p "$x/criu"
  sync
  t0=$(now_us)
  "$RUNC" --root "$RH" checkpoint --image-path "$x/criu" "$id" </dev/null >/dev/null 2>>"$T/errors" &
  dumper=$!
  tar --xattrs --xattrs-include='*' --numeric-owner -cf "$x/rootfs.tar" -C "$(upper "$id")" .
  wait "$dumper" ||
    die "runc checkpoint $id failed: $(tail -n 5 "$T/errors")"$'\n'"$(grep -m 5 Error "$x/criu/dump.log" 2>/dev/null)"
  sync "$x/rootfs.tar" "$x"/criu/* "$x/criu" "$x"
  t1=$(now_us)
  record "checkpoint by hand + fsync, concurrent" $((t1 - t0))
}

restore_tardis() {
  local id=$1 d t0 t1
  d=$(cdir "$id")
  sync
  t0=$(now_us)
  "$TARDIS_RUNC" --root "$RT" create --bundle "$d/bundle" "$id" </dev/null >/dev/null 2>&1 ||
    die "tardis-runc create $id failed (see $T/tardis.log)"
  t1=$(now_us)
  record "restore tardis" $((t1 - t0))
  PROFILE_RESTORE=("$t0" "$t1")
  [[ $(status_of "$id") == running ]] ||
    die "after tardis-runc create, $id is $(status_of "$id"), not running: not restored (see $T/tardis.log)"
  # containerd's start comes next; Tardis must skip it (runc would fail on a running one).
  "$TARDIS_RUNC" --root "$RT" start "$id" </dev/null >/dev/null 2>&1 ||
    die "tardis-runc start $id after the restore failed"
}

restore_hand() {
  local id=$1 x t0 t1 t2
  x=$(hand_image "$id")
  sync
  t0=$(now_us)
  tar --xattrs --xattrs-include='*' --numeric-owner -xf "$x/rootfs.tar" -C "$(upper "$id")"
  t1=$(now_us)
  "$RUNC" --root "$RH" restore --detach --image-path "$x/criu" --bundle "$(cdir "$id")/bundle" "$id" \
    </dev/null >/dev/null 2>&1 || die "runc restore $id failed (see $(hand_image "$id")/criu/restore.log)"
  t2=$(now_us)
  record "restore by hand" $((t2 - t0))
  record "  by hand: tar -x" $((t1 - t0))
  record "  by hand: runc restore" $((t2 - t1))
}

# verify ID: running, memory as checkpointed, every file back.
verify() {
  local id=$1 d i
  d=$(cdir "$id")
  [[ $(status_of "$id") == running ]] || die "$id is $(status_of "$id") after its restore"
  "$RUNC" --root "$(runc_root "$id")" kill "$id" USR1 || die "runc kill $id USR1 failed"
  for ((i = 0; i < 300; i++)); do
    [[ -s $d/upper/check ]] && break
    sleep 0.1
  done
  [[ -s $d/upper/check ]] || die "$id did not answer SIGUSR1 after its restore"
  cmp -s "$d/ready.before" "$d/upper/check" ||
    die "$id: memory checksum after restore $(cat "$d/upper/check") != before checkpoint $(cat "$d/ready.before")"
  cmp -s "$d/ready.before" "$d/upper/ready" || die "$id: /ready in the restored upperdir differs"
  local files
  files=$(find "$d/upper" -type f | wc -l)
  ((files == FILES + 2)) || die "$id: $files files in the restored upperdir, expected $((FILES + 2))"
}

remove_container() {
  local id=$1
  "$RUNC" --root "$(runc_root "$id")" delete --force "$id" >/dev/null 2>&1 || true
  unmount_rootfs "$id" 2>/dev/null || true
  trash "$(cdir "$id")" "$(hand_image "$id")" "$(tardis_image "$id")" "$T/ctd/$id"
}

files_bytes() { find "$@" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

# ---------------------------------------------------------------------------------------
# Profile (--profile): where one Tardis call's time goes, from runc-timed's records and
# the two ends the script measured.

declare -A PHASES=()
phase() { PHASES[$1]+="$2 "; }
profile_checkpoint() {
  local t0=${PROFILE_CKPT[0]} t1=${PROFILE_CKPT[1]} s e rest
  local -a calls=()
  mapfile -t calls <"$T/runc-times"
  : >"$T/runc-times"
  # Expected: state, checkpoint (the container was paused by us, as containerd does).
  [[ ${#calls[@]} == 2 && ${calls[0]} == *" state "* && ${calls[1]} == *" checkpoint "* ]] ||
    { note "profile: unexpected runc calls: ${calls[*]}"; return 0; }
  read -r s e rest <<<"${calls[0]}"
  phase "ckpt: exec to runc state (startup, staging dir)" $((s - t0))
  phase "ckpt: runc state" $((e - s))
  local e_state=$e
  read -r s e rest <<<"${calls[1]}"
  phase "ckpt: staging, start runc (after state)" $((s - e_state))
  phase "ckpt: runc checkpoint (archive packing alongside)" $((e - s))
  phase "ckpt: rest of the archive, seal, publish, exit" $((t1 - e))
}
profile_restore() {
  local t0=${PROFILE_RESTORE[0]} t1=${PROFILE_RESTORE[1]} s e rest
  local -a calls=()
  mapfile -t calls <"$T/runc-times"
  : >"$T/runc-times"
  [[ ${#calls[@]} == 1 && ${calls[0]} == *" restore "* ]] ||
    { note "profile: unexpected runc calls: ${calls[*]}"; return 0; }
  read -r s e rest <<<"${calls[0]}"
  phase "restore: exec to runc restore (record, judge, unpack)" $((s - t0))
  phase "restore: runc restore" $((e - s))
  phase "restore: after runc + exit" $((t1 - e))
}

# ---------------------------------------------------------------------------------------
# Statistics: medians of microsecond lists

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { tr ' ' '\n' | grep . | sort -n | head -n 1; }
maximum() { tr ' ' '\n' | grep . | sort -n | tail -n 1; }
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# paired_ratio A B: the median over repetitions of A[i] / B[i].
paired_ratio() {
  local -a a b
  read -r -a a <<<"${TIMES[$1]}"
  read -r -a b <<<"${TIMES[$2]}"
  local i out=""
  for ((i = 0; i < ${#a[@]}; i++)); do out+="$(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { printf "%.6f", x / y }') "; done
  echo "$out" | median
}

# ---------------------------------------------------------------------------------------
# The run

echo "checkpoint_bench: $REPS repetitions, variants interleaved (order alternates by repetition)"
echo "  container: $MEM_MIB MiB dirty memory (malloc + every byte written); upperdir $FILES files, $(mib "$SEED_BYTES")"
echo "  checkpoint: the container is paused first (runc pause, untimed), as containerd does"
echo "  tardis-runc: $TARDIS_RUNC (TARDIS_CONFIG log_level $LOG_LEVEL)"
echo "  runc: $RUNC ($("$RUNC" --version | head -n 1)), criu: $(command -v criu) ($(criu --version | head -n 1))"
if [[ $FS == loop ]]; then
  echo "  files: a private ext4 (journaled) at $T, on $LOOP_DEV (direct I/O) from a sparse file in $TOP (--fs=loop)"
else
  echo "  files: $T ($(findmnt -n -o FSTYPE --target "$T"), --fs=dir)"
fi
((PROFILE)) && echo "  --profile: Tardis runs with log_level DEBUG and real_runc wrapped by a timing script (adds a few ms per runc call)"
: >"$T/runc-times"
SIZES_DONE=0
for ((rep = 1; rep <= REPS; rep++)); do
  tid=$TAG-t$rep
  hid=$TAG-h$rep
  oid=$TAG-o$rep  # --profile only
  if ((rep % 2)); then order=(tardis hand); else order=(hand tardis); fi
  ((PROFILE)) && { if ((rep % 2)); then order+=(overlap); else order=(overlap "${order[@]}"); fi; }
  note "repetition $rep/$REPS (${order[*]})"
  start_container "$tid"
  start_container "$hid"
  ((PROFILE)) && start_container "$oid"
  : >"$T/runc-times"
  for v in "${order[@]}"; do
    case $v in
      tardis) checkpoint_tardis "$tid" ;;
      hand) checkpoint_hand "$hid" ;;
      overlap) checkpoint_overlap "$oid" ;;
    esac
  done
  ((PROFILE)) && profile_checkpoint
  for id in "$tid" "$hid"; do
    [[ $(status_of "$id") == none ]] || die "$id still exists after its checkpoint ($(status_of "$id"))"
  done
  ((PROFILE)) && remove_container "$oid"
  order=("${order[@]/overlap/}")
  if ((!SIZES_DONE)); then
    TI=$(tardis_image "$tid")
    HI=$(hand_image "$hid")
    SIZE_T_TOTAL=$(files_bytes "$TI")
    SIZE_T_TAR=$(files_bytes "$TI/rootfs.tar")
    SIZE_T_CRIU=$(files_bytes "$TI/criu")
    SIZE_T_MANIFEST=$(files_bytes "$TI/manifest.json")
    SIZE_T_NCRIU=$(find "$TI/criu" -type f | wc -l)
    SIZE_H_TOTAL=$(files_bytes "$HI")
    SIZE_H_TAR=$(files_bytes "$HI/rootfs.tar")
    SIZE_H_CRIU=$(files_bytes "$HI/criu")
    SIZE_H_NCRIU=$(find "$HI/criu" -type f | wc -l)
    SIZES_DONE=1
  fi
  for id in "$tid" "$hid"; do
    unmount_rootfs "$id"
    mount_rootfs "$id"
  done
  for v in "${order[@]}"; do
    case $v in
      tardis) restore_tardis "$tid" ;;
      hand) restore_hand "$hid" ;;
    esac
  done
  ((PROFILE)) && { sed -i '/ start /d' "$T/runc-times"; profile_restore; }
  verify "$tid"
  verify "$hid"
  note "  checkpoint: tardis $(secs "$(echo "${TIMES[checkpoint tardis]}" | awk '{ print $NF }')") s, by hand $(secs "$(echo "${TIMES[checkpoint by hand]}" | awk '{ print $NF }')") s;" \
    "restore: tardis $(secs "$(echo "${TIMES[restore tardis]}" | awk '{ print $NF }')") s, by hand $(secs "$(echo "${TIMES[restore by hand]}" | awk '{ print $NF }')") s; restored processes verified"
  remove_container "$tid"
  remove_container "$hid"
done

if grep -q ERROR "$T/tardis.log" 2>/dev/null; then
  note "Tardis logged errors:"
  grep ERROR "$T/tardis.log" >&2
  exit 1
fi

echo
printf '%-40s %9s %9s %9s   (wall time, seconds)\n' variant median min max
for v in "checkpoint tardis" "checkpoint by hand" "  by hand: tar -c" "  by hand: runc checkpoint" \
         "checkpoint by hand + fsync" "checkpoint by hand + fsync, concurrent" "restore tardis" \
         "restore by hand" "  by hand: tar -x" "  by hand: runc restore"; do
  [[ -n ${TIMES[$v]:-} ]] || continue
  printf '%-40s %9s %9s %9s\n' "$v" "$(secs "$(echo "${TIMES[$v]}" | median)")" \
    "$(secs "$(echo "${TIMES[$v]}" | minimum)")" "$(secs "$(echo "${TIMES[$v]}" | maximum)")"
done

ratio() {  # label tardis-variant by-hand-variant
  local t h
  t=$(echo "${TIMES[$2]}" | median)
  h=$(echo "${TIMES[$3]}" | median)
  printf '%-40s %9s   (medians; %+.3f s)   paired per repetition: %s\n' "$1" \
    "$(awk -v t="$t" -v h="$h" 'BEGIN { printf "%.3f", t / h }')" \
    "$(awk -v t="$t" -v h="$h" 'BEGIN { print (t - h) / 1e6 }')" \
    "$(awk -v r="$(paired_ratio "$2" "$3")" 'BEGIN { printf "%.3f", r }')"
}
echo
echo "tardis / by hand (target <= 1.10):"
ratio checkpoint "checkpoint tardis" "checkpoint by hand"
ratio restore "restore tardis" "restore by hand"
echo "for comparison (by hand made durable like Tardis's image):"
ratio "checkpoint vs by hand + fsync" "checkpoint tardis" "checkpoint by hand + fsync"
if [[ -n ${TIMES[checkpoint by hand + fsync, concurrent]:-} ]]; then
  ratio "checkpoint vs ... + fsync, concurrent" "checkpoint tardis" "checkpoint by hand + fsync, concurrent"
fi

echo
echo "image size (bytes of regular files):"
printf '  %-10s total %11d (%s) = rootfs.tar %11d (%s) + CRIU %11d (%s, %d files) + manifest %d\n' \
  tardis "$SIZE_T_TOTAL" "$(mib "$SIZE_T_TOTAL")" "$SIZE_T_TAR" "$(mib "$SIZE_T_TAR")" "$SIZE_T_CRIU" \
  "$(mib "$SIZE_T_CRIU")" "$SIZE_T_NCRIU" "$SIZE_T_MANIFEST"
printf '  %-10s total %11d (%s) = rootfs.tar %11d (%s) + CRIU %11d (%s, %d files)\n' \
  "by hand" "$SIZE_H_TOTAL" "$(mib "$SIZE_H_TOTAL")" "$SIZE_H_TAR" "$(mib "$SIZE_H_TAR")" "$SIZE_H_CRIU" \
  "$(mib "$SIZE_H_CRIU")" "$SIZE_H_NCRIU"
printf '  tardis / by hand: total %.3f, rootfs.tar %.3f, CRIU %.3f\n' \
  "$(awk -v a="$SIZE_T_TOTAL" -v b="$SIZE_H_TOTAL" 'BEGIN { print a / b }')" \
  "$(awk -v a="$SIZE_T_TAR" -v b="$SIZE_H_TAR" 'BEGIN { print a / b }')" \
  "$(awk -v a="$SIZE_T_CRIU" -v b="$SIZE_H_CRIU" 'BEGIN { print a / b }')"

if ((PROFILE)); then
  echo
  printf '%-56s %9s %9s   (--profile: Tardis, seconds)\n' phase median max
  for p in "ckpt: exec to runc state (startup, staging dir)" "ckpt: runc state" \
           "ckpt: pack upperdir (after state)" "ckpt: runc checkpoint" "ckpt: seal + publish + exit" \
           "restore: exec to runc restore (record, judge, unpack)" "restore: runc restore" \
           "restore: after runc + exit"; do
    [[ -n ${PHASES[$p]:-} ]] || continue
    printf '%-56s %9s %9s\n' "$p" "$(secs "$(echo "${PHASES[$p]}" | median)")" "$(secs "$(echo "${PHASES[$p]}" | maximum)")"
  done
fi
