# shellcheck shell=bash
# The end-to-end harness: what every test in e2e/ sources.
#
# A test reads like a story:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   begin_test
#   start_node a log_level=DEBUG    # Tardis's config, containerd, the busybox image
#   run_container a job --env TARDIS_ENABLE=1 -- sh -c 'echo hi; sleep 1000'
#   wait_for task_status_is a job RUNNING
#   ...
#   finish_test
#
# Everything a test makes lives under one short temp dir ($E2E_TMP, /tmp/tardis-e2e.XXXXXX:
# unix socket paths must stay under 108 bytes, which $TEST_TMPDIR does not guarantee) and
# is torn down on EXIT, pass or fail: tasks and containers through ctr, then runc's own
# records, containerd by its pid, shims and any other process of this test by pid, every
# mount under $E2E_TMP (deepest first), the namespace's cgroups, the temp dir.
# finish_test then checks that nothing of the test is left (processes, mounts, sockets,
# cgroups, files) and fails the test if something is.
#
# Each test gets its own containerd namespace ($E2E_NAMESPACE), so container ids and
# cgroup paths (/<namespace>/<id>) never collide with another test or a system containerd.
# Instances are named (a, b, ...): two at once behave like two nodes; they share
# $E2E_TMP/checkpoints (the default checkpoint_base) like nodes sharing a network fs.
#
# What a test has (each function is documented where it is defined):
#   the test's life     begin_test, finish_test, e2e_binary NAME, $E2E_TMP, $E2E_NAMESPACE
#   Tardis's config     write_tardis_config NODE [K=V...], tardis_config_value, tardis_log NODE
#   nodes               start_node NODE [K=V...] (config, containerd, busybox image),
#                       start_containerd NODE [--tardis-config F], stop_containerd NODE,
#                       kill_node NODE, ctr_ NODE ARGS..., containerd_address, node_dir,
#                       runc_root NODE
#   images, containers  build_busybox_image NODE [NS] (busybox, /bin/counter, /bin/counter.sh,
#                       /bin/undumpable,
#                       /etc/greeting, /etc/old-dir/{a,b}), run_container NODE ID [opts] -- CMD...,
#                       remove_container, task_status, task_status_is, task_pid,
#                       container_exists, bundle_dir, container_rootfs, container_upperdir,
#                       container_log, checkpoint_container NODE ID container|task,
#                       listener_pid NODE, watch_events NODE FILE, stop_watching_events NODE
#   counting jobs       last_count LOG, first_count LOG, count_at_least LOG N (the counter
#                       workload's output, in ctr's log or the CRI plugin's)
#   Kubernetes (CRI)    cri_containerd_config NODE, start_cri_containerd NODE [--config F],
#                       import_pause_image NODE, cri_ NODE ARGS... (e2e/cri/cri.py),
#                       cri_pod_options, cri_run_pod, cri_create_container, cri_state,
#                       cri_state_is, cri_log
#   Docker              start_dockerd NODE [--runtime PATH], stop_dockerd NODE, docker_ NODE
#                       ARGS..., build_docker_image NODE, docker_dir, docker_exec_root
#   file trees          tree_snapshot DIR
#   waiting, asserting  wait_for [--timeout S] CMD..., poll_until, run CMD... ($status,
#                       $output, $errors), assert_status, assert_eq, assert_ne,
#                       assert_contains, assert_not_contains, assert_file_exists,
#                       assert_file_missing, assert_file_contains, assert_empty_file, fail,
#                       log, assert_nothing_left
#
# Binaries (tardis-runc, ...) come from $TARDIS_BIN_DIR when set, else from Bazel's
# runfiles ($TEST_SRCDIR/tardis/cmd/...), else from the workspace's bazel-bin/cmd/. To run a
# test directly:  bazel build //cmd:all && sudo TARDIS_BIN_DIR=$PWD/bazel-bin/cmd bash e2e/x_test.sh
# E2E_KEEP=1 keeps $E2E_TMP (logs, bundles, state) after the teardown for a post-mortem;
# processes, mounts and cgroups are removed all the same.

set -euo pipefail

# runc execs `criu` from PATH: the CRIU shim in /usr/local/sbin must come first. containerd
# hands its environment to its shims and so to runc and tardis-runc.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REAL_RUNC=${REAL_RUNC:-/usr/sbin/runc}

# E2E_STACK=NAME runs the nodes on one of scripts/stacks.sh's newer stacks (trixie:
# containerd 1.7; sid: containerd 2.1, runc 1.3, CRIU 4.2) instead of Debian 12's: its
# bin/ comes first in PATH (containerd, ctr, its shim, runc's criu) and its runc, if it
# has one, is the real runc.
E2E_STACK_DIR=""
if [[ -n ${E2E_STACK:-} ]]; then
  E2E_STACK_DIR=${TARDIS_STACKS:-/opt/tardis/stacks}/$E2E_STACK
  [[ -f $E2E_STACK_DIR/.complete ]] ||
    { echo "no stack $E2E_STACK in $E2E_STACK_DIR: run scripts/stacks.sh" >&2; exit 1; }
  PATH=$E2E_STACK_DIR/bin:$PATH
  [[ -x $E2E_STACK_DIR/bin/runc ]] && REAL_RUNC=$E2E_STACK_DIR/bin/runc
fi
E2E_IMAGE=test.local/bb:latest
E2E_PAUSE_IMAGE=test.local/pause:pause

E2E_TMP=""
E2E_NAMESPACE=""
E2E_START_SECONDS=$SECONDS
E2E_FINISHED=0
declare -a E2E_NODES=()     # instance names, in start order
declare -A E2E_ADDRESS=()   # name -> containerd socket
declare -A E2E_PID=()       # name -> containerd pid
declare -A E2E_CONFIG=()    # name -> TARDIS_CONFIG the instance (and its shims) run with
declare -A E2E_LOGS=()      # "node/id" -> the container's stdout/stderr log file
declare -a E2E_SHIM_SOCKETS=()  # shim sockets seen before the teardown (for the check)
declare -A E2E_EVENTS_PID=()    # name -> pid of its `ctr events` watcher
# Files or dirs a test wants kept for post-mortems: copied to Bazel's test.outputs/.
declare -a E2E_ARTIFACTS=()

# ---------------------------------------------------------------------------------------
# Telling the story, and failing clearly

# log MESSAGE...: one line on stderr, with seconds since the test began.
log() {
  printf '[e2e +%3ds] %s\n' "$((SECONDS - E2E_START_SECONDS))" "$*" >&2
}

# fail MESSAGE...: stops the test with MESSAGE and where it failed (teardown still runs).
fail() {
  {
    printf '\nFAIL: %s\n' "$*"
    local i
    for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
      [[ ${FUNCNAME[$i]} == main ]] && { printf '  at %s:%s\n' "${BASH_SOURCE[$i]}" "${BASH_LINENO[$((i - 1))]}"; break; }
      printf '  at %s:%s (%s)\n' "${BASH_SOURCE[$i]}" "${BASH_LINENO[$((i - 1))]}" "${FUNCNAME[$i]}"
    done
  } >&2
  exit 1
}

# ---------------------------------------------------------------------------------------
# Assertions. Each names what it compared and shows both sides.

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
  [[ "$1" == "$2" ]] && return 0
  if [[ "$1$2" == *$'\n'* ]]; then
    fail "${3:-values differ} (- expected, + actual):"$'\n'"$(diff -u --label expected --label actual <(printf '%s\n' "$1") <(printf '%s\n' "$2"))"
  fi
  fail "${3:-values differ}"$'\n'"  expected: $(printf '%q' "$1")"$'\n'"  actual:   $(printf '%q' "$2")"
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
  [[ "$1" != "$2" ]] && return 0
  fail "${3:-values are equal}: both are $(printf '%q' "$1")"
}

# assert_contains HAYSTACK NEEDLE [WHAT]: NEEDLE is a fixed string.
assert_contains() {
  [[ "$1" == *"$2"* ]] && return 0
  fail "${3:-text does not contain $(printf '%q' "$2")}"$'\n'"--- text ---"$'\n'"$1"$'\n'"------------"
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
  [[ "$1" != *"$2"* ]] && return 0
  fail "${3:-text contains $(printf '%q' "$2")}"$'\n'"--- text ---"$'\n'"$1"$'\n'"------------"
}

# assert_file_exists PATH / assert_file_missing PATH
assert_file_exists() { [[ -e "$1" || -L "$1" ]] || fail "expected file to exist: $1"; }
assert_file_missing() { [[ ! -e "$1" && ! -L "$1" ]] || fail "expected no file at: $1"; }

# assert_file_contains PATH NEEDLE [WHAT]: NEEDLE is a fixed string.
assert_file_contains() {
  [[ -f "$1" ]] || fail "${3:-$1 should contain $(printf '%q' "$2")}: no such file: $1"
  grep -qF -- "$2" "$1" && return 0
  fail "${3:-$1 does not contain $(printf '%q' "$2")}"$'\n'"--- $1 (last 40 lines) ---"$'\n'"$(tail -n 40 "$1")"
}

# assert_empty_file PATH [WHAT]
assert_empty_file() {
  [[ ! -s "$1" ]] && return 0
  fail "${2:-expected $1 to be empty}"$'\n'"--- $1 ---"$'\n'"$(head -c 4000 "$1")"
}

# run CMD...: runs CMD without stopping the test when it fails (bats-style) and sets
# $status (exit code), $output (stdout) and $errors (stderr), trailing newlines removed.
run() {
  local out="$E2E_TMP/.run.out" err="$E2E_TMP/.run.err"
  status=0
  "$@" >"$out" 2>"$err" </dev/null || status=$?
  output=$(<"$out")
  errors=$(<"$err")
  return 0
}

# assert_status EXPECTED [WHAT]: checks $status from the last `run`.
assert_status() {
  [[ "$status" == "$1" ]] && return 0
  fail "${2:-exit status}: expected $1, got $status"$'\n'"  stdout: $output"$'\n'"  stderr: $errors"
}

# ---------------------------------------------------------------------------------------
# Waiting for conditions (never to measure durations)

# poll_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds (0) or time is up (1).
poll_until() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  while true; do
    "$@" >/dev/null 2>&1 && return 0
    ((SECONDS >= deadline)) && return 1
    sleep 0.1
  done
}

# wait_for [--timeout SECONDS] CMD...: waits until CMD succeeds; fails the test after the
# timeout (default 30 s) showing CMD's last output.
wait_for() {
  local seconds=30
  if [[ ${1:-} == --timeout ]]; then seconds=$2; shift 2; fi
  poll_until "$seconds" "$@" && return 0
  local last
  last=$("$@" 2>&1) || true
  fail "timed out after ${seconds}s waiting for: $*"$'\n'"  last output: $last"
}

# ---------------------------------------------------------------------------------------
# The test's life

# begin_test: makes $E2E_TMP and the namespace, and arms the teardown. Call it first.
begin_test() {
  [[ $(id -u) == 0 ]] || { echo "e2e tests need root" >&2; exit 1; }
  local tool
  for tool in containerd ctr umoci busybox "$REAL_RUNC"; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
  done
  E2E_TMP=$(mktemp -d /tmp/tardis-e2e.XXXXXX)
  chmod 0755 "$E2E_TMP"
  # Unique per test (cgroups are /<namespace>/<id>): nothing collides with anyone else.
  E2E_NAMESPACE="e2e-${E2E_TMP##*.}"
  mkdir -p "$E2E_TMP/checkpoints"
  trap 'e2e_on_exit' EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
  trap 'exit 129' HUP
  trap 'exit 141' PIPE  # stderr went away (e.g. `| head`): still tear down
  log "test $(basename "$0") in $E2E_TMP, namespace $E2E_NAMESPACE"
  log "stack${E2E_STACK:+ $E2E_STACK}: containerd $(containerd --version | awk '{print $3}'), runc" \
    "$("$REAL_RUNC" --version | awk 'NR==1{print $3}'), criu $(criu --version | awk 'NR==1{print $2}')"
}

# finish_test: tears everything down now and checks nothing is left. Call it last.
finish_test() {
  E2E_FINISHED=1
  e2e_save_logs 0
  mapfile -t E2E_SHIM_SOCKETS < <(e2e_shim_sockets)
  e2e_teardown
  assert_nothing_left
  log "PASS $(basename "$0")"
}

# e2e_binary NAME: absolute path of one of Tardis's binaries (tardis-runc, ...).
e2e_binary() {
  local name=$1 path
  if [[ -n ${TARDIS_BIN_DIR:-} ]]; then
    path=$TARDIS_BIN_DIR/$name
  elif [[ -n ${TEST_SRCDIR:-} ]]; then
    path=$TEST_SRCDIR/${TEST_WORKSPACE:-tardis}/cmd/$name
  else
    path=$E2E_LIB_DIR/../bazel-bin/cmd/$name
  fi
  [[ -x "$path" ]] || fail "no $name at $path (set TARDIS_BIN_DIR, or run under bazel test)"
  readlink -f "$path"
}

# e2e_built PATH: absolute path of something built or kept under e2e/ (workloads/counter,
# workloads/counter.sh, tools/image_tool): from $TARDIS_E2E_DIR, Bazel's runfiles,
# bazel-bin, or the source tree (scripts).
e2e_built() {
  local relative=$1 path
  for path in ${TARDIS_E2E_DIR:+"$TARDIS_E2E_DIR/$relative"} \
              ${TEST_SRCDIR:+"$TEST_SRCDIR/${TEST_WORKSPACE:-tardis}/e2e/$relative"} \
              "$E2E_LIB_DIR/../bazel-bin/e2e/$relative" "$E2E_LIB_DIR/$relative"; do
    [[ -e $path ]] && { readlink -f "$path"; return 0; }
  done
  fail "no e2e/$relative (set TARDIS_E2E_DIR to bazel-bin/e2e, or run under bazel test)"
}

# ---------------------------------------------------------------------------------------
# Tardis's host configuration

# write_tardis_config NODE [KEY=VALUE...]: writes $E2E_TMP/NODE/tardis.conf and prints its
# path. Defaults are per node (log, state, this node's containerd) except checkpoint_base,
# $E2E_TMP/checkpoints, and image_key_file, $E2E_TMP/image.key (absent unless a test
# makes it: never the host's own), which all nodes share. KEY=VALUE pairs override or add
# keys.
write_tardis_config() {
  local node=$1; shift
  local dir=$E2E_TMP/$node
  mkdir -p "$dir"
  local -A value=(
    [real_runc]=$REAL_RUNC
    [log_file]=$dir/tardis.log
    [log_level]=INFO
    [state_dir]=$dir/tardis-state
    [checkpoint_base]=$E2E_TMP/checkpoints
    [allowed_roots]=$E2E_TMP/checkpoints:$E2E_TMP/shared
    [ctr]=$(command -v ctr)
    [containerd_address]=$(containerd_address "$node")
    [image_key_file]=$E2E_TMP/image.key
  )
  local -a order=(real_runc log_file log_level state_dir checkpoint_base allowed_roots ctr
                  containerd_address image_key_file)
  local pair
  for pair in "$@"; do
    [[ $pair == *=* ]] || fail "write_tardis_config: expected KEY=VALUE, got $pair"
    [[ -v "value[${pair%%=*}]" ]] || order+=("${pair%%=*}")
    value[${pair%%=*}]=${pair#*=}
  done
  local key
  {
    echo "# Written by $(basename "$0") (e2e/lib.sh)"
    for key in "${order[@]}"; do echo "$key = ${value[$key]}"; done
  } >"$dir/tardis.conf"
  echo "$dir/tardis.conf"
}

# tardis_config_value FILE KEY: a key's value in a tardis.conf.
tardis_config_value() {
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1
}

# tardis_log NODE: the log file tardis-runc writes for NODE (from its config).
tardis_log() {
  local config=${E2E_CONFIG[$1]:-}
  [[ -n $config ]] || fail "node $1 runs without a TARDIS_CONFIG"
  tardis_config_value "$config" log_file
}

# ---------------------------------------------------------------------------------------
# Private containerd instances

# containerd_address NODE: the socket of NODE's containerd (known before it starts).
containerd_address() { echo "$E2E_TMP/$1/c.sock"; }
# node_dir NODE: where NODE keeps its containerd root, state, logs and tardis.conf.
node_dir() { echo "$E2E_TMP/$1"; }
# runc_root NODE: what tardis-runc/runc get as --root (the shim adds the namespace).
runc_root() { echo "$E2E_TMP/$1/runc/$E2E_NAMESPACE"; }

# e2e_disabled_plugins: what no test's containerd needs (plugins wanting /opt,
# snapshotters other than overlayfs, tracing), as TOML array items.
e2e_disabled_plugins() {
  printf '  "%s",\n' io.containerd.internal.v1.opt io.containerd.snapshotter.v1.aufs \
    io.containerd.snapshotter.v1.btrfs io.containerd.snapshotter.v1.devmapper \
    io.containerd.snapshotter.v1.native io.containerd.snapshotter.v1.zfs \
    io.containerd.tracing.processor.v1.otlp io.containerd.internal.v1.tracing
}

# start_containerd NODE [--tardis-config FILE]: starts a private containerd (root, state
# and socket under $E2E_TMP/NODE) with a minimal config and waits until it answers. Its
# environment, and so its shims', runc's and tardis-runc's, has TARDIS_CONFIG=FILE
# (default: the exported $TARDIS_CONFIG, if any) and this file's PATH.
start_containerd() {
  local node=$1; shift
  [[ $node =~ ^[a-z0-9]{1,8}$ ]] || fail "node names are short: [a-z0-9]{1,8}, got $node"
  local dir=$E2E_TMP/$node
  local address=$dir/c.sock
  mkdir -p "$dir"
  # Only what ctr run/exec/checkpoint need: no CRI (slow, wants CNI), no /opt plugins, no
  # snapshotters other than overlayfs. (runtime.v1.linux must stay: tasks-service needs it.)
  cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
$(e2e_disabled_plugins)
]

[grpc]
  address = "$address"

[debug]
  level = "info"
EOF
  start_containerd_with_config "$node" "$dir/containerd.toml" "$@"
}

# e2e_stop_daemon NAME PID GRACE: stops a daemon this test started, by its pid: SIGTERM,
# SIGKILL after GRACE seconds, then reaps it.
e2e_stop_daemon() {
  local name=$1 pid=$2 grace=$3
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! poll_until "$grace" e2e_gone "$pid"; then
    log "$name ignored SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# stop_containerd NODE: stops NODE's containerd like a node going down: SIGTERM, then
# SIGKILL after 10 s. Its shims and containers keep running (as on a real node); the
# teardown collects them. Restart it with start_containerd NODE.
stop_containerd() {
  local node=$1 pid=${E2E_PID[$1]:-}
  [[ -n $pid ]] || return 0
  e2e_stop_daemon "containerd $node" "$pid" 10
  unset "E2E_PID[$node]"
  local n kept=()
  for n in "${E2E_NODES[@]}"; do [[ $n == "$node" ]] || kept+=("$n"); done
  E2E_NODES=("${kept[@]+"${kept[@]}"}")
}

# ctr_ NODE ARGS...: ctr against NODE's containerd, in the test's namespace.
ctr_() {
  local node=$1; shift
  [[ -n ${E2E_ADDRESS[$node]:-} ]] || fail "no containerd named $node (start_containerd $node first)"
  ctr --address "${E2E_ADDRESS[$node]}" --namespace "$E2E_NAMESPACE" "$@"
}

# ---------------------------------------------------------------------------------------
# Images

# busybox_rootfs DIR: fills DIR with the test image's files: /bin/busybox and its applets,
# the workloads tests run (e2e/workloads), and files of the image's own for tests to
# modify, delete and replace (/etc/greeting, /etc/old-dir/{a,b}). Every image a test
# builds (containerd's, Docker's) has exactly these.
busybox_rootfs() {
  local rootfs=$1 applet
  mkdir -p "$rootfs/bin"
  cp /bin/busybox "$rootfs/bin/busybox"
  # `busybox --list` names busybox itself: linking it would replace the binary.
  for applet in $(/bin/busybox --list); do
    [[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  # A job with progress to lose, one CRIU refuses, and one that ends once restored.
  install -m 0755 "$(e2e_built workloads/counter)" "$rootfs/bin/counter"
  install -m 0755 "$(e2e_built workloads/counter.sh)" "$rootfs/bin/counter.sh"
  install -m 0755 "$(e2e_built workloads/undumpable)" "$rootfs/bin/undumpable"
  install -m 0755 "$(e2e_built workloads/exit_when_restored)" "$rootfs/bin/exit_when_restored"
  mkdir -p "$rootfs/etc/old-dir"
  echo hello >"$rootfs/etc/greeting"
  echo a >"$rootfs/etc/old-dir/a"
  echo b >"$rootfs/etc/old-dir/b"
}

# e2e_image_tarballs: builds, once per test, with umoci and offline, the two images the
# tests import: $E2E_TMP/image/bb.tar ($E2E_IMAGE: busybox_rootfs's files; cmd /bin/sh,
# PATH=/bin) and pause.tar ($E2E_PAUSE_IMAGE: the same files, cmd `sleep` for ever: the
# CRI plugin's sandbox image).
e2e_image_tarballs() {
  local work=$E2E_TMP/image
  [[ -f $work/bb.tar && -f $work/pause.tar ]] && return 0
  log "building $E2E_IMAGE and $E2E_PAUSE_IMAGE with umoci"
  mkdir -p "$work"
  (
    cd "$work"
    umoci init --layout layout
    umoci new --image layout:latest
    umoci unpack --rootless --image layout:latest bundle
    busybox_rootfs bundle/rootfs
    umoci repack --image layout:latest bundle
    umoci config --image layout:latest --config.cmd /bin/sh --config.env PATH=/bin
    tar -C layout -cf bb.tar.tmp .
    # The pause image: one tag per tarball, so that each import brings one image.
    umoci config --image layout:latest --tag pause --config.cmd /bin/sleep --config.cmd 2147483647
    umoci rm --image layout:latest
    tar -C layout -cf pause.tar.tmp .
    mv bb.tar.tmp bb.tar
    mv pause.tar.tmp pause.tar
    rm -rf bundle layout
  ) >"$work/build.log" 2>&1 || fail "building the images failed:"$'\n'"$(cat "$work/build.log")"
}

# build_busybox_image NODE [NAMESPACE]: imports $E2E_IMAGE into NODE's containerd, in
# NAMESPACE (default the test's; k8s.io is the CRI plugin's).
build_busybox_image() {
  local node=$1 namespace=${2:-$E2E_NAMESPACE}
  [[ -n ${E2E_ADDRESS[$node]:-} ]] || fail "no containerd named $node (start_containerd $node first)"
  e2e_image_tarballs
  ctr --address "${E2E_ADDRESS[$node]}" --namespace "$namespace" images import \
    --base-name test.local/bb "$E2E_TMP/image/bb.tar" >/dev/null ||
    fail "importing $E2E_TMP/image/bb.tar into $node failed"
  log "imported $E2E_IMAGE into $node ($namespace)"
}

# start_node NODE [KEY=VALUE...]: one node as most tests want it: Tardis's config
# (write_tardis_config NODE KEY=VALUE...) exported as $TARDIS_CONFIG, containerd started
# with it, the busybox image imported.
start_node() {
  local node=$1; shift
  TARDIS_CONFIG=$(write_tardis_config "$node" "$@")
  export TARDIS_CONFIG
  start_containerd "$node"
  build_busybox_image "$node"
}

# import_pause_image NODE: imports $E2E_PAUSE_IMAGE into NODE's k8s.io namespace, where the
# CRI plugin looks for its sandbox_image.
import_pause_image() {
  local node=$1
  [[ -n ${E2E_ADDRESS[$node]:-} ]] || fail "no containerd named $node (start_containerd $node first)"
  e2e_image_tarballs
  ctr --address "${E2E_ADDRESS[$node]}" --namespace k8s.io images import \
    --base-name test.local/pause "$E2E_TMP/image/pause.tar" >/dev/null ||
    fail "importing $E2E_TMP/image/pause.tar into $node failed"
  log "imported $E2E_PAUSE_IMAGE into $node (k8s.io)"
}

# ---------------------------------------------------------------------------------------
# Containers

# run_container NODE ID [OPTIONS] -- CMD...: `ctr run -d` of $E2E_IMAGE with CMD.
#   --runc PATH     the runc binary the shim calls (default $E2E_RUNC, else tardis-runc)
#   --env K=V       an environment variable of the container (repeatable)
#   --image REF     another image
#   --log FILE      where the container's stdout/stderr go (default $E2E_TMP/NODE/ID.log)
#   --foreground    `ctr run` without -d: stdout/stderr are ctr's own, waits for the exit
# Any other option before `--` goes to `ctr run` unchanged (--mount, --cwd, --rm, ...).
# Returns ctr's exit status.
run_container() {
  local node=$1 id=$2; shift 2
  local runc=${E2E_RUNC:-} image=$E2E_IMAGE log_file=$E2E_TMP/$node/$id.log foreground=0
  local -a opts=()
  while (($#)); do
    case $1 in
      --runc) runc=$2; shift 2 ;;
      --env) opts+=(--env "$2"); shift 2 ;;
      --image) image=$2; shift 2 ;;
      --log) log_file=$2; shift 2 ;;
      --foreground) foreground=1; shift ;;
      --) shift; break ;;
      *) opts+=("$1"); shift ;;
    esac
  done
  [[ -n $runc ]] || runc=$(e2e_binary tardis-runc)
  local root=$E2E_TMP/$node/runc
  if ((foreground)); then
    ctr_ "$node" run --runc-binary "$runc" --runc-root "$root" "${opts[@]+"${opts[@]}"}" \
      "$image" "$id" "$@" </dev/null
  else
    E2E_LOGS[$node/$id]=$log_file
    ctr_ "$node" run -d --runc-binary "$runc" --runc-root "$root" --log-uri "file://$log_file" \
      "${opts[@]+"${opts[@]}"}" "$image" "$id" "$@" </dev/null
  fi
}

# checkpoint_container NODE ID HOW: checkpoints the way containerd users do:
#   container  `ctr c checkpoint --task` (pause, checkpoint --leave-running, resume)
#   task       `ctr t checkpoint --exit` (checkpoint, resume)
# and removes the checkpoint image containerd made of it.
checkpoint_container() {
  local node=$1 id=$2 how=$3 ref
  case $how in
    container)
      ctr_ "$node" containers checkpoint --task "$id" "checkpoint/$id:e2e" >/dev/null
      ctr_ "$node" images rm "checkpoint/$id:e2e" >/dev/null
      ;;
    task)
      ref=$(ctr_ "$node" tasks checkpoint --exit "$id")
      [[ -z $ref ]] || ctr_ "$node" images rm "$ref" >/dev/null
      ;;
    *) fail "checkpoint_container: container or task, not $how" ;;
  esac
}

# listener_pid NODE: the pid of NODE's tardis-listen (empty when none runs).
listener_pid() {
  local file pid
  file=$(tardis_config_value "${E2E_CONFIG[$1]}" state_dir)/listener.pid
  pid=$(cat "$file" 2>/dev/null) || return 0
  [[ -n $pid ]] && ! e2e_gone "$pid" && echo "$pid"
  return 0
}

# container_log NODE ID: the file run_container sent the container's stdout/stderr to.
container_log() { echo "${E2E_LOGS[$1/$2]:-$E2E_TMP/$1/$2.log}"; }

# task_status NODE ID: the task's status as `ctr t ls` shows it (RUNNING, PAUSED,
# STOPPED, CREATED, ...), or NONE when there is no task.
task_status() {
  local status
  status=$(ctr_ "$1" tasks ls 2>/dev/null | awk -v id="$2" 'NR > 1 && $1 == id { print $3 }')
  echo "${status:-NONE}"
}

# task_status_is NODE ID STATUS: true when the task's status is STATUS (for wait_for).
task_status_is() { [[ $(task_status "$1" "$2") == "$3" ]]; }

# task_pid NODE ID: the host pid of the task's init process (empty when none).
task_pid() { ctr_ "$1" tasks ls 2>/dev/null | awk -v id="$2" 'NR > 1 && $1 == id { print $2 }'; }

# container_exists NODE ID
# (ctr's output is read whole: `ctr ... | grep -q` under pipefail fails when grep quits
# before ctr has written everything and ctr dies of SIGPIPE.)
container_exists() { grep -qxF -- "$2" <<<"$(ctr_ "$1" containers ls -q 2>/dev/null)"; }

# bundle_dir NODE ID: the bundle containerd made (config.json, rootfs, ...).
bundle_dir() { echo "$E2E_TMP/$1/state/io.containerd.runtime.v2.task/$E2E_NAMESPACE/$2"; }

# container_rootfs NODE ID: the container's root filesystem as the host sees it.
container_rootfs() { echo "$(bundle_dir "$1" "$2")/rootfs"; }

# container_upperdir NODE ID: the overlay upperdir behind the rootfs (from mountinfo).
container_upperdir() {
  local rootfs
  rootfs=$(container_rootfs "$1" "$2")
  awk -v mp="$rootfs" '$5 == mp { n = split($0, f, " - "); split(f[2], o, " "); print o[3] }' \
    /proc/self/mountinfo | tr ',' '\n' | sed -n 's/^upperdir=//p' | tail -n 1
}

# remove_container NODE ID: kills (SIGKILL) and deletes the task, then the container.
remove_container() {
  local node=$1 id=$2
  if [[ $(task_status "$node" "$id") == PAUSED ]]; then ctr_ "$node" tasks resume "$id" || true; fi
  if [[ $(task_status "$node" "$id") != NONE ]]; then
    ctr_ "$node" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    poll_until 10 task_status_is "$node" "$id" STOPPED || true
    ctr_ "$node" tasks rm -f "$id" >/dev/null 2>&1 || true
  fi
  if container_exists "$node" "$id"; then ctr_ "$node" containers rm "$id" >/dev/null 2>&1 || true; fi
}

# delete_stopped NODE ID [TIMEOUT]: what containerd's users do once a task has ended: waits
# (TIMEOUT seconds, else wait_for's default) until ID's task is STOPPED, then deletes the
# task and the container. Unlike remove_container (a clean-up), every step must work.
delete_stopped() {
  local node=$1 id=$2
  wait_for ${3:+--timeout "$3"} task_status_is "$node" "$id" STOPPED
  ctr_ "$node" tasks rm "$id" >/dev/null
  ctr_ "$node" containers rm "$id"
}

# watch_events NODE FILE: appends NODE's `ctr events` (every namespace) to FILE from now
# on; returns once the watcher demonstrably receives events. It publishes probe events
# (topic /namespaces/update) to know that; filter them out when comparing.
watch_events() {
  local node=$1 file=$2
  [[ -z ${E2E_EVENTS_PID[$node]:-} ]] || fail "already watching events on $node"
  ctr --address "${E2E_ADDRESS[$node]}" events >>"$file" 2>&1 </dev/null &
  E2E_EVENTS_PID[$node]=$!
  ctr_ "$node" namespaces create "$E2E_NAMESPACE" >/dev/null 2>&1 || true
  local n=0 deadline=$((SECONDS + 30))
  until grep -qF /namespaces/update "$file" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "ctr events on $node shows nothing after 30s"
    ctr_ "$node" namespaces label "$E2E_NAMESPACE" e2e.probe=$((n++)) >/dev/null
    sleep 0.1
  done
}

# stop_watching_events NODE: stops the watcher (give late events a moment first, e.g. by
# waiting for the last event you expect).
stop_watching_events() {
  local pid=${E2E_EVENTS_PID[$1]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "E2E_EVENTS_PID[$1]"
}

# ---------------------------------------------------------------------------------------
# Counting jobs: e2e/workloads/counter prints 1, 2, 3, ... one a line

# last_count LOG, first_count LOG: the newest and the oldest count in LOG.
# A log is ctr's (the line as printed) or the CRI plugin's (`<time> stdout F <line>`).
e2e_counts() { sed -nE 's/^([^ ]+ std(out|err) [FP] )?([0-9]+)$/\3/p' "$1" 2>/dev/null; }
last_count() { e2e_counts "$1" | tail -n 1; }
first_count() { e2e_counts "$1" | sed -n 1p; }  # sed reads it all: no SIGPIPE upstream
# count_at_least LOG N: true once the job counted to N (for wait_for).
count_at_least() { local n; n=$(last_count "$1"); [[ -n $n ]] && ((n >= $2)); }

# ---------------------------------------------------------------------------------------
# Comparing file trees

# tree_snapshot DIR: everything an exact copy of DIR must keep, one sorted line per entry
# (the top itself excluded): path, type, mode, uid, gid, size, link target, mtime (ns),
# link count, content hash; then hardlink groups; then every extended attribute
# (trusted.* included, so overlay whiteouts and opaque dirs show), as hex.
# Two things are overlay's own bookkeeping, not content, and are left out: the link
# count of character devices, i.e. whiteouts (overlay makes every whiteout of a layer
# one shared inode), and the
# top directory (an upperdir's root belongs to its snapshot: overlay stamps its own
# uuid and impure flag there).
tree_snapshot() {
  local dir=$1
  (
    cd "$dir" || exit 1
    find . -mindepth 1 -printf '%p\t%y\t%m\t%U\t%G\t%s\t%l\t%T@\t%n\n' |
      awk -F'\t' -v OFS='\t' '$2 == "c" { $9 = "-" } { print }' | sort
    echo "-- contents"
    find . -type f -print0 | sort -z | xargs -0 -r md5sum
    echo "-- hardlink groups"
    find . -type f -links +1 -printf '%i %p\n' | sort -k2 |
      awk '{ g[$1] = g[$1] " " $2 } END { for (i in g) print g[i] }' | sort
    echo "-- xattrs"
    getfattr -R -P -h -d -m - -e hex . 2>/dev/null |
      awk '/^# file: / { f = substr($0, 9); next } /=/ && f != "." { print f "\t" $0 }' | sort
  )
}

# ---------------------------------------------------------------------------------------
# Teardown and the leftovers check

# e2e_gone PID: true when PID no longer runs (gone, or a zombie nobody reaped yet).
e2e_gone() {
  [[ ! -e /proc/$1 ]] && return 0
  local state
  state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 0
  [[ -z $state || $state == Z || $state == X ]]
}

# e2e_pids_with TEXT PROCFILE...: live pids (one a line) whose /proc/<pid>/PROCFILE
# (cmdline, environ, cgroup) contains TEXT. Never the test's own shell.
e2e_pids_with() {
  local text=$1 file path pid; shift
  local -a files=()
  for file in "$@"; do files+=(/proc/[0-9]*/"$file"); done
  # grep reads TEXT from stdin and runs with an empty environment, so that neither its
  # own command line nor its environment matches; it exits 2 when a process vanished
  # while it read /proc.
  while IFS= read -r path; do
    pid=${path#/proc/}; pid=${pid%%/*}
    [[ $pid == "$$" ]] && continue
    e2e_gone "$pid" || echo "$pid"
  done < <(printf '%s\n' "$text" | env -i /usr/bin/grep -lsF -f - "${files[@]}"; true) | sort -un
}

# e2e_processes: pids of every process that belongs to this test: its command line or
# environment names $E2E_TMP (containerd, shims, runc, tardis-runc and what it starts,
# through TARDIS_CONFIG), or it lives in a cgroup of the test's namespace (/<namespace>/
# <id>: the containers' own processes).
e2e_processes() {
  [[ -n $E2E_TMP ]] || return 0
  { e2e_pids_with "$E2E_TMP/" cmdline environ; e2e_pids_with ":/$E2E_NAMESPACE/" cgroup; } | sort -un
}

# e2e_kill_pids PID...: SIGKILL, then waits (bounded) until they are gone.
e2e_kill_pids() {
  (($#)) || return 0
  kill -KILL "$@" 2>/dev/null || true
  local pid
  for pid in "$@"; do poll_until 5 e2e_gone "$pid" || log "pid $pid survived SIGKILL"; done
}

# e2e_describe_pids PID...: "pid(command line)" for each, for messages.
e2e_describe_pids() {
  local pid
  for pid in "$@"; do printf '%s(%s) ' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)"; done
}

# e2e_mounts [DIR]: mount points under DIR (default $E2E_TMP), deepest first.
e2e_mounts() {
  local top=${1:-$E2E_TMP} mp
  [[ -n $top ]] || return 0
  while read -r _ _ _ _ mp _; do
    mp=$(printf '%b' "${mp//\\/\\0}")  # mountinfo escapes space, tab, newline, backslash as \ooo
    [[ $mp == "$top" || $mp == "$top"/* ]] && printf '%s\t%s\n' "${#mp}" "$mp"
  done </proc/self/mountinfo | sort -t $'\t' -k1,1nr | cut -f2- | uniq
}

# e2e_unmount_all [DIR]: unmounts everything under DIR (default $E2E_TMP), deepest first;
# lazily when something still holds a mount.
e2e_unmount_all() {
  local _ mp
  for _ in 1 2 3 4 5; do
    local -a mounts=()
    mapfile -t mounts < <(e2e_mounts "$@")
    ((${#mounts[@]})) || return 0
    for mp in "${mounts[@]}"; do
      log "teardown: umount $mp"
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done
  done
}

# e2e_cgroups: cgroup directories of the test's namespace, deepest first.
e2e_cgroups() {
  [[ -n $E2E_NAMESPACE ]] || return 0
  find /sys/fs/cgroup/*/"$E2E_NAMESPACE" -depth -type d 2>/dev/null || true
}

# e2e_shim_sockets [NODE]: the shim sockets containerd recorded in the bundles (of NODE,
# or of every node).
e2e_shim_sockets() {
  [[ -n $E2E_TMP ]] || return 0
  local file
  # shellcheck disable=SC2231  # ${1:-*} is meant to glob
  for file in "$E2E_TMP"/${1:-*}/state/io.containerd.runtime.v2.task/*/*/address; do
    [[ -f $file ]] && sed -n 's|^unix://||p' "$file"
  done
  return 0
}

# e2e_force_delete_containers NODE: `runc delete --force` (the real runc) of every
# container in NODE's runc roots: kills its processes and removes its cgroup, whether or
# not a shim or containerd is left to ask.
e2e_force_delete_containers() {
  local dir id
  # ctr's runc roots, and dockerd's (one per runtime, <exec root>/runtime-<name>/moby).
  for dir in "$E2E_TMP/$1"/runc/*/ "$(docker_exec_root "$1")"/runtime-*/*/; do
    [[ -d $dir ]] || continue
    for id in $(timeout 15 "$REAL_RUNC" --root "$dir" list -q 2>/dev/null); do
      log "teardown: runc delete --force $id (root $dir)"
      timeout 15 "$REAL_RUNC" --root "$dir" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
}

# kill_node NODE: NODE is lost, as when a machine loses power: dockerd, containerd, its shims and
# every process of NODE get SIGKILL, its containers go away (processes and cgroups), its
# mounts are released. Its files stay, like a dead machine's disk (and its checkpoints,
# in the shared $E2E_TMP/checkpoints). start_containerd NODE boots it again.
kill_node() {
  local node=$1 pid=${E2E_PID[$1]:-}
  log "node $node is lost"
  local docker_pid=${E2E_DOCKERD_PID[$node]:-}
  if [[ -n $docker_pid ]]; then
    kill -KILL "$docker_pid" 2>/dev/null || true
    wait "$docker_pid" 2>/dev/null || true
    unset "E2E_DOCKERD_PID[$node]"
  fi
  if [[ -n $pid ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "E2E_PID[$node]"
  fi
  local -a pids=()
  mapfile -t pids < <(e2e_pids_with "$E2E_TMP/$node/" cmdline environ)
  e2e_kill_pids "${pids[@]+"${pids[@]}"}"
  e2e_force_delete_containers "$node"
  e2e_unmount_all "$E2E_TMP/$node"
  local socket
  for socket in $(e2e_shim_sockets "$node"); do [[ -S $socket ]] && rm -f "$socket"; done
  local n kept=()
  for n in "${E2E_NODES[@]}"; do [[ $n == "$node" ]] || kept+=("$n"); done
  E2E_NODES=("${kept[@]+"${kept[@]}"}")
  return 0
}

# e2e_teardown: removes everything the test made; safe to call twice.
e2e_teardown() {
  [[ -n $E2E_TMP && -d $E2E_TMP ]] || return 0
  set +e
  cd /
  export -n TARDIS_CONFIG 2>/dev/null
  local node ns id dir pid
  for node in "${!E2E_EVENTS_PID[@]}"; do stop_watching_events "$node"; done
  # 0. dockerd, by its pid, with its containers: it owns their tasks and containers.
  for node in "${!E2E_DOCKERD_PID[@]}"; do stop_dockerd "$node"; done
  # 1. Tasks and containers, politely, through each containerd still running.
  for node in "${E2E_NODES[@]+"${E2E_NODES[@]}"}"; do
    [[ -n ${E2E_PID[$node]:-} ]] || continue
    for ns in $(timeout 10 ctr --address "${E2E_ADDRESS[$node]}" namespaces ls -q 2>/dev/null); do
      local c="timeout 15 ctr --address ${E2E_ADDRESS[$node]} --namespace $ns"
      for id in $($c tasks ls -q 2>/dev/null); do
        log "teardown: removing task $ns/$id on $node"
        [[ $($c tasks ls 2>/dev/null | awk -v id="$id" '$1 == id { print $3 }') == PAUSED ]] &&
          $c tasks resume "$id" >/dev/null 2>&1
        $c tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
        $c tasks rm -f "$id" >/dev/null 2>&1
      done
      for id in $($c containers ls -q 2>/dev/null); do
        $c containers rm "$id" >/dev/null 2>&1
      done
    done
  done
  # 2. Containers whose shim or containerd is gone: runc's own records, real runc.
  for dir in "$E2E_TMP"/*/; do
    node=${dir%/}; node=${node##*/}
    e2e_force_delete_containers "$node"
  done
  # 3. containerd itself, by its pid.
  for node in "${E2E_NODES[@]+"${E2E_NODES[@]}"}"; do
    stop_containerd "$node"
  done
  # 3b. Tardis's listeners, the way a service manager stops them.
  for node in "${!E2E_CONFIG[@]}"; do
    [[ -n ${E2E_CONFIG[$node]} ]] || continue
    pid=$(listener_pid "$node")
    [[ -n $pid ]] || continue
    kill -TERM "$pid" 2>/dev/null
    poll_until 5 e2e_gone "$pid" || log "teardown: tardis-listen $pid ignored SIGTERM"
  done
  # 4. Shims (their -address names this test's socket), then anything else of this test
  #    still running (container processes, tardis helpers, watchers).
  local -a shims=() rest=()
  for pid in $(e2e_pids_with "$E2E_TMP/" cmdline); do
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *containerd-shim* ]] && shims+=("$pid")
  done
  if ((${#shims[@]})); then
    log "teardown: stopping shims ${shims[*]}"
    kill -TERM "${shims[@]}" 2>/dev/null
    for pid in "${shims[@]}"; do poll_until 5 e2e_gone "$pid"; done
  fi
  local _
  for _ in 1 2 3; do
    mapfile -t rest < <(e2e_processes)
    ((${#rest[@]})) || break
    log "teardown: killing leftover processes: $(e2e_describe_pids "${rest[@]}")"
    e2e_kill_pids "${rest[@]}"
  done
  for dir in $(e2e_shim_sockets); do [[ -S $dir ]] && rm -f "$dir"; done
  # 5. Mounts under the temp dir, deepest first.
  e2e_unmount_all
  # 6. The namespace's cgroups (runc removes a container's own, not the namespace's).
  for dir in $(e2e_cgroups); do rmdir "$dir" 2>/dev/null; done
  # 7. The temp dir, never crossing into a mount that is somehow still there.
  if [[ -n ${E2E_KEEP:-} ]]; then
    log "E2E_KEEP set: keeping $E2E_TMP"
  elif [[ -z $(e2e_mounts) ]]; then
    rm -rf --one-file-system "$E2E_TMP"
  else
    log "teardown: mounts remain under $E2E_TMP; not removing it"
  fi
  set -e
}

# assert_nothing_left: fails when a process, mount, shim socket, cgroup or file of this
# test is still there (call after the teardown; finish_test does).
assert_nothing_left() {
  local problems="" pid line
  for pid in $(e2e_processes); do
    problems+=$'\n'"  process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"
  done
  while IFS= read -r line; do [[ -n $line ]] && problems+=$'\n'"  mount: $line"; done < <(e2e_mounts)
  while IFS= read -r line; do [[ -n $line ]] && problems+=$'\n'"  cgroup: $line"; done < <(e2e_cgroups)
  for line in "${E2E_SHIM_SOCKETS[@]+"${E2E_SHIM_SOCKETS[@]}"}"; do
    [[ -e $line ]] && problems+=$'\n'"  shim socket: $line"
  done
  if [[ -z ${E2E_KEEP:-} && -e $E2E_TMP ]]; then problems+=$'\n'"  temp dir: $E2E_TMP"; fi
  [[ -z $problems ]] || fail "the test left things behind:$problems"
}

# Keeps copies of the logs and $E2E_ARTIFACTS for Bazel (test.outputs/) and, on failure,
# shows the logs' tails.
e2e_save_logs() {
  local rc=$1 file dest=${TEST_UNDECLARED_OUTPUTS_DIR:-}
  [[ -n $E2E_TMP && -d $E2E_TMP ]] || return 0
  for file in "$E2E_TMP"/*/*.log; do
    [[ -f $file ]] || continue
    if [[ -n $dest ]]; then
      local rel=${file#"$E2E_TMP"/}
      mkdir -p "$dest/$(dirname "$rel")" && cp "$file" "$dest/$rel" 2>/dev/null
    fi
    if ((rc != 0)); then
      printf '\n--- %s (last 20 lines) ---\n' "$file" >&2
      grep -v 'msg="loading plugin' "$file" | tail -n 20 >&2
    fi
  done
  if [[ -n $dest ]]; then
    for file in "${E2E_ARTIFACTS[@]+"${E2E_ARTIFACTS[@]}"}"; do
      [[ -e $file ]] && cp -r "$file" "$dest/" 2>/dev/null
    done
  fi
  return 0
}

e2e_on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  trap '' PIPE
  set +e
  if ((E2E_FINISHED == 0)); then
    ((rc == 0)) && { log "the test ended without finish_test"; rc=1; }
    e2e_save_logs "$rc"
    mapfile -t E2E_SHIM_SOCKETS < <(e2e_shim_sockets)
    e2e_teardown
    (assert_nothing_left) || rc=1
    log "FAIL $(basename "$0") (exit $rc)"
  fi
  exit "$rc"
}

# ---------------------------------------------------------------------------------------
# Tools a test needs beyond the harness's, and containerd with a config of the test's own

# require_tool NAME...: fails the test, naming the missing tool, unless each is in PATH.
require_tool() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "this test needs $tool (apt-get install $tool)"
  done
}

# start_containerd_with_config NODE FILE [--tardis-config F]: starts NODE's containerd
# reading FILE: start_containerd's minimal one, or a test's own (for tests of what a
# config does: the CRI plugin, tardisctl install). Root, state and socket are NODE's as
# always (command-line options win over FILE's); FILE should keep everything else it
# names under $E2E_TMP. Waits until it answers.
start_containerd_with_config() {
  local node=$1 file=$2; shift 2
  local config=${TARDIS_CONFIG:-}
  while (($#)); do
    case $1 in
      --tardis-config) config=$2; shift 2 ;;
      *) fail "start_containerd: unknown option $1" ;;
    esac
  done
  [[ -z ${E2E_PID[$node]:-} ]] || fail "containerd $node is already running"
  [[ $node =~ ^[a-z0-9]{1,8}$ ]] || fail "node names are short: [a-z0-9]{1,8}, got $node"
  [[ -f $file ]] || fail "start_containerd_with_config: no config at $file"
  local dir=$E2E_TMP/$node address
  address=$(containerd_address "$node")
  mkdir -p "$dir"
  log "starting containerd $node at $address with $file${config:+ (TARDIS_CONFIG=$config)}"
  # containerd's temp dirs (the checkpoint dirs it hands runc, and the dirs it unpacks a
  # checkpoint into for a restore and never removes) go to XDG_RUNTIME_DIR, else TMPDIR:
  # keep them in the node's dir.
  mkdir -p "$dir/tmp"
  if [[ -n $config ]]; then
    env -u XDG_RUNTIME_DIR TMPDIR="$dir/tmp" TARDIS_CONFIG="$config" containerd --root "$dir/root" \
      --state "$dir/state" --address "$address" --config "$file" >>"$dir/containerd.log" 2>&1 </dev/null &
  else
    env -u XDG_RUNTIME_DIR -u TARDIS_CONFIG TMPDIR="$dir/tmp" containerd --root "$dir/root" \
      --state "$dir/state" --address "$address" --config "$file" >>"$dir/containerd.log" 2>&1 </dev/null &
  fi
  E2E_PID[$node]=$!
  E2E_ADDRESS[$node]=$address
  E2E_CONFIG[$node]=$config
  E2E_NODES+=("$node")
  local deadline=$((SECONDS + 30))
  until ctr --address "$address" version >/dev/null 2>&1; do
    if ! kill -0 "${E2E_PID[$node]}" 2>/dev/null; then
      fail "containerd $node exited during startup:"$'\n'"$(tail -n 30 "$dir/containerd.log")"
    fi
    ((SECONDS < deadline)) || fail "containerd $node did not answer within 30s:"$'\n'"$(tail -n 30 "$dir/containerd.log")"
    sleep 0.1
  done
  log "containerd $node is up (pid ${E2E_PID[$node]})"
}

# ---------------------------------------------------------------------------------------
# Kubernetes' way: containerd's CRI plugin, driven through the CRI API as the kubelet
# drives it (e2e/cri/cri.py, a small client printing JSON). Pods use the node's network,
# so no CNI plugin is needed; their cgroups live under /$E2E_NAMESPACE and runc's state
# under NODE's runc root like everything else, so the teardown finds them. The CRI plugin
# keeps its containers in containerd namespace k8s.io.

# cri_containerd_config NODE: writes $E2E_TMP/NODE/containerd-cri.toml, a config with the
# CRI plugin (sandbox image $E2E_PAUSE_IMAGE, runtime `runc` with NODE's runc root) and
# prints its path. Tests edit it (tardisctl install) before start_cri_containerd.
cri_containerd_config() {
  local node=$1 dir=$E2E_TMP/$1
  mkdir -p "$dir"
  cat >"$dir/containerd-cri.toml" <<EOF
version = 2
disabled_plugins = [
$(e2e_disabled_plugins)
]

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$E2E_PAUSE_IMAGE"
    # This machine may not lower a process's oom_score_adj, as CRI does for sandboxes.
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$dir/cni/bin"
      conf_dir = "$dir/cni/conf"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            Root = "$dir/runc"
            SystemdCgroup = false
EOF
  echo "$dir/containerd-cri.toml"
}

# start_cri_containerd NODE [--config FILE] [--tardis-config F]: starts NODE's containerd
# with the CRI plugin, reading FILE (default: a fresh cri_containerd_config), and imports
# $E2E_IMAGE and $E2E_PAUSE_IMAGE into k8s.io.
start_cri_containerd() {
  local node=$1 config=""; shift
  local -a rest=()
  while (($#)); do
    case $1 in
      --config) config=$2; shift 2 ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  [[ -n $config ]] || config=$(cri_containerd_config "$node")
  start_containerd_with_config "$node" "$config" "${rest[@]+"${rest[@]}"}"
  build_busybox_image "$node" k8s.io
  import_pause_image "$node"
}

# cri_ NODE ARGS...: e2e/cri/cri.py against NODE's containerd (see its --help): one CRI
# call, its response as JSON on stdout. Debian's python3 (with python3-grpcio,
# python3-protobuf, python3-grpc-tools); the stubs are generated into $E2E_TMP once.
cri_() {
  local node=$1; shift
  [[ -n ${E2E_ADDRESS[$node]:-} ]] || fail "no containerd named $node (start_cri_containerd $node first)"
  /usr/bin/python3 "$(e2e_built cri/cri.py)" --address "${E2E_ADDRESS[$node]}" --stubs "$E2E_TMP/cri-stubs" "$@"
}

# cri_pod_options NODE NAME UID [NAMESPACE]: the options naming a pod (cri.py run-pod and
# create-container take them both, as the kubelet sends the pod's config with each
# container), one a line: metadata, a log directory under $E2E_TMP/NODE/pods, and the
# test's cgroup parent. Read them with mapfile.
cri_pod_options() {
  local node=$1 name=$2 uid=$3 namespace=${4:-default}
  printf '%s\n' --pod-name "$name" --pod-uid "$uid" --pod-namespace "$namespace" \
    --log-dir "$E2E_TMP/$node/pods/${namespace}_${name}_${uid}" --cgroup-parent "/$E2E_NAMESPACE"
}

# cri_run_pod NODE HANDLER POD_OPTION...: RunPodSandbox under runtime handler HANDLER (""
# for the default); prints the sandbox id.
cri_run_pod() {
  local node=$1 handler=$2 out; shift 2
  out=$(cri_ "$node" run-pod --handler "$handler" "$@") || fail "RunPodSandbox on $node failed"
  jq -r .pod_sandbox_id <<<"$out"
}

# cri_create_container NODE POD_ID NAME POD_OPTION... [--env K=V]... -- CMD...:
# CreateContainer of $E2E_IMAGE in the pod, its log at NAME.log in the pod's log
# directory; prints the container id.
cri_create_container() {
  local node=$1 pod=$2 name=$3 out; shift 3
  out=$(cri_ "$node" create-container --pod "$pod" --name "$name" --image "$E2E_IMAGE" \
    --log-path "$name.log" "$@") || fail "CreateContainer $name on $node failed"
  jq -r .container_id <<<"$out"
}

# cri_state NODE ID: the container's state as ContainerStatus reports it
# (CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED, CONTAINER_UNKNOWN).
cri_state() { cri_ "$1" status "$2" | jq -r .status.state; }
# cri_state_is NODE ID STATE: for wait_for.
cri_state_is() { [[ $(cri_state "$1" "$2") == "$3" ]]; }
# cri_log NODE ID: the container's log file, from ContainerStatus (CRI's log format:
# `<time> stdout F <line>`; the count helpers read it as it is).
cri_log() { cri_ "$1" status "$2" | jq -r .status.log_path; }

# ---------------------------------------------------------------------------------------
# Private dockerd instances: Docker on a node's containerd

# Debian's docker.io client, the one that matches its dockerd (another `docker` earlier in
# PATH may be a newer client with other defaults).
E2E_DOCKER=${E2E_DOCKER:-/usr/bin/docker}
declare -A E2E_DOCKERD_PID=()   # name -> dockerd pid

# docker_dir NODE: dockerd's data root, config, pid file and socket (NODE's dir/d).
docker_dir() { echo "$E2E_TMP/$1/d"; }
# docker_exec_root NODE: dockerd's exec root; runc's root for runtime R is
# <exec root>/runtime-R/moby.
docker_exec_root() { echo "$E2E_TMP/$1/dx"; }

# start_dockerd NODE [--runtime PATH]: starts a private dockerd on NODE's containerd
# (start_containerd NODE first) and waits until it answers. PATH (default tardis-runc) is
# its runtime `tardis` (`docker run --runtime tardis`). Everything it keeps is under
# $E2E_TMP/NODE; it touches nothing of the host's: no iptables, no bridge, no IP
# forwarding, its own daemon.json instead of /etc/docker's (its key in its own dir), its
# containers' cgroups under /<namespace>/ like ctr's. Its runtimes run with containerd's
# environment (TARDIS_CONFIG), since containerd starts their shims.
start_dockerd() {
  local node=$1; shift
  local runtime=""
  while (($#)); do
    case $1 in
      --runtime) runtime=$2; shift 2 ;;
      *) fail "start_dockerd: unknown option $1" ;;
    esac
  done
  [[ -n ${E2E_ADDRESS[$node]:-} ]] || fail "start_dockerd $node: start_containerd $node first"
  [[ -z ${E2E_DOCKERD_PID[$node]:-} ]] || fail "dockerd $node is already running"
  [[ -x $E2E_DOCKER ]] && command -v dockerd >/dev/null ||
    fail "this test needs Debian's docker.io (apt-get install docker.io; scripts/setup.sh)"
  [[ -n $runtime ]] || runtime=$(e2e_binary tardis-runc)
  local dir exec_root
  dir=$(docker_dir "$node")
  exec_root=$(docker_exec_root "$node")
  mkdir -p "$dir" "$exec_root"
  # Its identity key (a file, not a flag) would otherwise go to /etc/docker/key.json.
  printf '{"deprecated-key-path": "%s"}\n' "$dir/key.json" >"$dir/daemon.json"
  log "starting dockerd $node at $dir/s.sock (runtime tardis=$runtime)"
  dockerd --config-file "$dir/daemon.json" --data-root "$dir/root" --exec-root "$exec_root" \
    --pidfile "$dir/dockerd.pid" -H "unix://$dir/s.sock" \
    --containerd "${E2E_ADDRESS[$node]}" --add-runtime "tardis=$runtime" --experimental \
    --storage-driver overlay2 --exec-opt native.cgroupdriver=cgroupfs \
    --cgroup-parent "/$E2E_NAMESPACE" --iptables=false --ip-forward=false --ip-masq=false \
    --bridge=none >>"$E2E_TMP/$node/dockerd.log" 2>&1 </dev/null &
  E2E_DOCKERD_PID[$node]=$!
  local deadline=$((SECONDS + 60))
  until docker_ "$node" version >/dev/null 2>&1; do
    if ! kill -0 "${E2E_DOCKERD_PID[$node]}" 2>/dev/null; then
      unset "E2E_DOCKERD_PID[$node]"
      fail "dockerd $node exited during startup:"$'\n'"$(tail -n 30 "$E2E_TMP/$node/dockerd.log")"
    fi
    ((SECONDS < deadline)) || fail "dockerd $node did not answer within 60s:"$'\n'"$(tail -n 30 "$E2E_TMP/$node/dockerd.log")"
    sleep 0.2
  done
  log "dockerd $node is up (pid ${E2E_DOCKERD_PID[$node]})"
}

# docker_ NODE ARGS...: the docker client against NODE's dockerd (its own client config
# dir, so nothing lands in ~/.docker).
docker_() {
  local node=$1; shift
  DOCKER_CONFIG=$E2E_TMP/docker-client "$E2E_DOCKER" -H "unix://$(docker_dir "$node")/s.sock" "$@"
}

# stop_dockerd NODE: removes NODE's Docker containers (SIGKILL: nothing to wait for), stops
# dockerd by its pid (SIGTERM, SIGKILL after 20 s) and unmounts what it left mounted.
stop_dockerd() {
  local node=$1 pid=${E2E_DOCKERD_PID[$1]:-} id
  [[ -n $pid ]] || return 0
  local -a docker=(env "DOCKER_CONFIG=$E2E_TMP/docker-client" timeout 30 "$E2E_DOCKER"
                   -H "unix://$(docker_dir "$node")/s.sock")
  for id in $("${docker[@]}" ps -aq 2>/dev/null); do
    log "removing Docker container $id on $node"
    "${docker[@]}" rm -f "$id" >/dev/null 2>&1 || true
  done
  e2e_stop_daemon "dockerd $node" "$pid" 20
  unset "E2E_DOCKERD_PID[$node]"
  e2e_unmount_all "$(docker_dir "$node")"
  e2e_unmount_all "$(docker_exec_root "$node")"
}

# build_docker_image NODE: `docker import` of busybox_rootfs's files as $E2E_IMAGE
# (cmd /bin/sh, PATH=/bin) into NODE's dockerd; the tarball is made once per test.
build_docker_image() {
  local node=$1
  local tarball=$E2E_TMP/image/rootfs.tar
  if [[ ! -f $tarball ]]; then
    log "building the Docker image's rootfs"
    local work=$E2E_TMP/image
    mkdir -p "$work"
    (
      busybox_rootfs "$work/rootfs"
      tar -C "$work/rootfs" -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      rm -rf "$work/rootfs"
    ) >"$work/docker-build.log" 2>&1 || fail "building the rootfs failed:"$'\n'"$(cat "$work/docker-build.log")"
  fi
  docker_ "$node" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' "$tarball" "$E2E_IMAGE" >/dev/null ||
    fail "docker import of $tarball into $node failed"
  log "imported $E2E_IMAGE into dockerd $node"
}
