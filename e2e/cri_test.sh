#!/usr/bin/env bash
# Kubernetes' path: containerd's CRI plugin driven as the kubelet drives it (e2e/cri/cri.py),
# with Tardis installed as a runtime of its own (`tardisctl install --runtime-handler
# tardis`, what a RuntimeClass with `handler: tardis` selects). Two nodes, A and B, share
# the checkpoint storage; each runs its own containerd with the CRI plugin, configured by
# tardisctl install, and its own Tardis config (a short lease_stale_ms).
#
# 1. Two jobs run on A under the handler `tardis`, as pods of their own:
#    - job1: TARDIS_CHECKPOINT_ID=job1 (docs/kubernetes/job.yaml builds it from the Job's
#      name and completion index);
#    - worker-0 (namespace batch, container main): no TARDIS_CHECKPOINT_ID, so the CRI
#      plugin's annotations name it, k8s_batch_worker-0_main (a StatefulSet's pod).
#    A spot notice: `tardisctl finalize` on A checkpoints both (in containerd namespace
#    k8s.io). Then, as the kubelet would: ContainerStatus says exited, RemoveContainer,
#    StopPodSandbox, RemovePodSandbox.
# 2. New pods, with new uids (and new container ids), on B: both jobs continue counting
#    where they stopped.
# 3. A pod under the default handler (runc) with TARDIS_ENABLE=1 runs, and Tardis never
#    sees it.
# 4. A pod's container with TARDIS_CHECKPOINT_INTERVAL=5s is checkpointed periodically and
#    stays CONTAINER_RUNNING for the CRI plugin.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/cri_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
require_tool jq cmp
TARDISCTL=$(e2e_binary tardisctl)
STALE_MS=4000
declare -A CONFIG=()

# node_up NODE: a tardis.conf for NODE, a CRI config made to add the runtime `tardis` by
# tardisctl install (everything it installs under $E2E_TMP/NODE), and containerd started
# with it.
node_up() {
  local node=$1 dir=$E2E_TMP/$1 cri_config
  CONFIG[$node]=$(write_tardis_config "$node" lease_stale_ms=$STALE_MS)
  cri_config=$(cri_containerd_config "$node")
  cp -p "$cri_config" "$dir/containerd-cri.original.toml"
  TARDIS_CONFIG=${CONFIG[$node]} run "$TARDISCTL" install --runtime-handler tardis \
    --containerd-config "$cri_config" --tardis-config "${CONFIG[$node]}" --prefix "$dir/lib/tardis" \
    --install-dir "$dir/install" --systemd-dir "$dir/no-systemd" --unit-dir "$dir/units" --real-runc "$REAL_RUNC"
  assert_status 0 "tardisctl install --runtime-handler tardis on $node"
  assert_contains "$output" "added the runtime tardis"
  assert_file_contains "$cri_config" "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.tardis] # added by tardisctl install"
  # runc's own runtime is as it was: the config only grew.
  cmp -s -n "$(stat -c %s "$dir/containerd-cri.original.toml")" "$dir/containerd-cri.original.toml" "$cri_config" ||
    fail "install changed runc's runtime on $node"
  start_cri_containerd "$node" --config "$cri_config" --tardis-config "${CONFIG[$node]}"
}

# pod NODE NAME UID NAMESPACE HANDLER: starts a pod; sets $POD (its sandbox id) and
# $POD_OPTIONS (what names it, for its containers).
pod() {
  mapfile -t POD_OPTIONS < <(cri_pod_options "$1" "$2" "$3" "$4")
  POD=$(cri_run_pod "$1" "$5" "${POD_OPTIONS[@]}")
  [[ $POD =~ ^[0-9a-f]{64}$ ]] || fail "not a sandbox id: $POD"
}

# counter NODE CONTAINER_NAME ENV...: CreateContainer + StartContainer of /bin/counter in
# the last pod; sets $CID (the container id) and $LOG (its log, from ContainerStatus).
counter() {
  local node=$1 name=$2 env=(); shift 2
  local pair
  for pair in "$@"; do env+=(--env "$pair"); done
  CID=$(cri_create_container "$node" "$POD" "$name" "${POD_OPTIONS[@]}" "${env[@]}" -- /bin/counter /count)
  cri_ "$node" start "$CID" >/dev/null || fail "StartContainer $name on $node failed"
  wait_for cri_state_is "$node" "$CID" CONTAINER_RUNNING
  LOG=$(cri_log "$node" "$CID")
}

# kubelet_cleanup NODE CONTAINER_ID POD_ID: what the kubelet does once a pod's container
# has exited: ContainerStatus, RemoveContainer, StopPodSandbox, RemovePodSandbox.
kubelet_cleanup() {
  local node=$1 cid=$2 pod=$3
  wait_for cri_state_is "$node" "$cid" CONTAINER_EXITED
  cri_ "$node" remove "$cid" >/dev/null || fail "RemoveContainer on $node failed"
  cri_ "$node" stop-pod "$pod" >/dev/null || fail "StopPodSandbox on $node failed"
  cri_ "$node" remove-pod "$pod" >/dev/null || fail "RemovePodSandbox on $node failed"
}

node_up a
node_up b
IMAGES=$E2E_TMP/checkpoints/k8s.io

log "--- 1. two jobs on A under the runtime handler tardis; finalize; the kubelet cleans up"
pod a job1-x7k2p batch-uid-a1 batch tardis
JOB1_POD=$POD
counter a worker TARDIS_ENABLE=1 TARDIS_CHECKPOINT_ID=job1
JOB1_CID=$CID JOB1_LOG=$LOG
pod a worker-0 sts-uid-a1 batch tardis
STS_POD=$POD
counter a main TARDIS_ENABLE=1
STS_CID=$CID STS_LOG=$LOG
wait_for count_at_least "$JOB1_LOG" 10
wait_for count_at_least "$STS_LOG" 10
A_LOG=$(tardis_log a)
assert_contains "$(cat "$A_LOG")" "k8s.io/$JOB1_CID: no image in $IMAGES/job1"
assert_contains "$(cat "$A_LOG")" "k8s.io/$STS_CID: no image in $IMAGES/k8s_batch_worker-0_main"

TARDIS_CONFIG=${CONFIG[a]} run "$TARDISCTL" finalize
assert_status 0 "finalize on A"
assert_contains "$output" "job1"
assert_contains "$output" "k8s_batch_worker-0_main"
job1_saved=$(last_count "$JOB1_LOG")
sts_saved=$(last_count "$STS_LOG")
log "job1 saved at $job1_saved, worker-0 at $sts_saved"
assert_file_exists "$IMAGES/job1/manifest.json"
assert_file_exists "$IMAGES/k8s_batch_worker-0_main/manifest.json"
kubelet_cleanup a "$JOB1_CID" "$JOB1_POD"
kubelet_cleanup a "$STS_CID" "$STS_POD"
assert_file_exists "$IMAGES/job1/manifest.json"
# The CRI plugin deleted the tasks (runc delete, through Tardis): the jobs are free.
assert_file_missing "$IMAGES/.job1.lease"
assert_file_missing "$IMAGES/.k8s_batch_worker-0_main.lease"

log "node A is done: uninstall gives its containerd config back byte for byte"
stop_containerd a
TARDIS_CONFIG=${CONFIG[a]} run "$TARDISCTL" uninstall --install-dir "$E2E_TMP/a/install"
assert_status 0 "tardisctl uninstall on A"
cmp "$E2E_TMP/a/containerd-cri.original.toml" "$E2E_TMP/a/containerd-cri.toml" || fail "A's config after uninstall"

log "--- 2. new pods on B continue both jobs"
pod b job1-q9m4z batch-uid-b1 batch tardis
counter b worker TARDIS_ENABLE=1 TARDIS_CHECKPOINT_ID=job1
assert_ne "$JOB1_CID" "$CID" "the new container's id"
wait_for count_at_least "$LOG" $((job1_saved + 3))
assert_eq "$((job1_saved + 1))" "$(first_count "$LOG")" "job1 continues on B"
assert_contains "$(cat "$(tardis_log b)")" "k8s.io/$CID: restored from $IMAGES/job1 (made by k8s.io/$JOB1_CID)"
cri_ b stop "$CID" --timeout 0 >/dev/null
kubelet_cleanup b "$CID" "$POD"

pod b worker-0 sts-uid-b1 batch tardis
counter b main TARDIS_ENABLE=1
wait_for count_at_least "$LOG" $((sts_saved + 3))
assert_eq "$((sts_saved + 1))" "$(first_count "$LOG")" "worker-0 continues on B"
assert_contains "$(cat "$(tardis_log b)")" "k8s.io/$CID: restored from $IMAGES/k8s_batch_worker-0_main (made by k8s.io/$STS_CID)"

log "--- 3. the default handler (runc): TARDIS_ENABLE=1 alone does not bring a pod to Tardis"
pod b plain-0 plain-uid-b1 batch ""
PLAIN_POD=$POD
counter b plain TARDIS_ENABLE=1
wait_for count_at_least "$LOG" 3
assert_eq 1 "$(first_count "$LOG")" "the plain pod counts from 1"
for node in a b; do
  [[ -s $(tardis_log "$node") ]] || fail "$node's Tardis log is empty"
  assert_not_contains "$(cat "$(tardis_log "$node")")" "$PLAIN_POD" "the plain pod's sandbox in $node's Tardis log"
  assert_not_contains "$(cat "$(tardis_log "$node")")" "$CID" "the plain pod's container in $node's Tardis log"
done

log "--- 4. periodic checkpoints of a pod's container: the CRI plugin still sees it running"
pod b every5s-0 every5s-uid-b1 batch tardis
counter b main TARDIS_ENABLE=1 TARDIS_CHECKPOINT_INTERVAL=5s
wait_for --timeout 30 grep -q "k8s.io/$CID: periodic checkpoint as " "$(tardis_log b)"
now=$(last_count "$LOG")
wait_for count_at_least "$LOG" $((now + 5))
assert_eq CONTAINER_RUNNING "$(cri_state b "$CID")" "the container after a periodic checkpoint"
assert_file_exists "$IMAGES/k8s_batch_every5s-0_main/manifest.json"
cri_ b stop "$CID" --timeout 0 >/dev/null
kubelet_cleanup b "$CID" "$POD"

finish_test
