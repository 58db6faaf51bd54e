// checkpoint: save an opted-in container so it can be restored, on this node or another.
//
//   1. make sure it is frozen (containerd pauses it first; if not, Tardis does, and
//      journals the pause, so that whoever finds the journal of a dead checkpoint thaws
//      it), so its files are quiet;
//   2. start runc's own checkpoint into a new staging image beside the current one,
//      without --work-path (dump.log lands in the image) and with --leave-running: the
//      container stays there, frozen, until its image is published (except with
//      --tcp-established, see below);
//   3. while CRIU dumps, archive the upperdir into the same staging image: both only
//      read a container that stays frozen, and doing them at once rather than one after
//      the other is what keeps a checkpoint through Tardis about as fast as `runc
//      checkpoint` plus tar by hand (bench/checkpoint_bench.sh);
//   4. seal the image (manifest with checksums, written last) and publish it atomically;
//   5. only then stop the container (kill, thaw), as plain runc's checkpoint would have,
//      and remember that containerd's resume after this checkpoint is to be skipped.
// So a checkpoint that fails or dies at any point ends with a published image or a
// running container, never a stopped one with only an older image: before the publish,
// a failure leaves the container to go on (Tardis thaws what it froze; containerd
// resumes what it paused), and a handler killed mid-way leaves runc's dump in staging
// and the container frozen the same way (thawed by containerd's resume, or by the next
// call or tardis-listen that finds Tardis's pause journal).
// A periodic checkpoint (tardis-listen's, periodic/request.h) differs only in step 5:
// the job goes on. A container Tardis froze itself is thawed as soon as CRIU's dump and
// the archive are complete (so the image's files match its memory), before sealing;
// containerd resumes one it paused once this call returns. No resume is skipped. A
// periodic checkpoint that fails leaves the job running and the previous image in place;
// the listener tries again at the next interval.
// A final checkpoint with --tcp-established is the exception: CRIU stops the container
// itself, as it always did, because a container left running after such a dump has its
// connections out of repair mode, and killing it would end them for the peer.
// Before runc starts, any failure hands containerd's checkpoint to runc unchanged; so does
// a container that no longer holds its identity's lease (another container took the
// job over: its image is not this container's to write). If runc fails, its status is
// returned and the previous image stays. If runc succeeds but the archive failed, CRIU's
// dump goes where plain runc would have put it (image/dump_handover.h) and the container stops:
// containerd gets its own checkpoint, and the previous image stays. What the caller finds
// at its --image-path after a successful checkpoint is callers_dump.h's decision. What
// each checkpoint cost, or why it failed, is kept beside the container's record
// (state/checkpoint_stats.h).
#ifndef TARDIS_LIFECYCLE_CHECKPOINT_H_
#define TARDIS_LIFECYCLE_CHECKPOINT_H_

#include <ctime>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <nlohmann/json.hpp>

#include "tardis/archive/pack.h"
#include "tardis/sys/remove_tree.h"
#include "tardis/image/dump_handover.h"
#include "tardis/image/image_key.h"
#include "tardis/image/image_store.h"
#include "tardis/image/manifest.h"
#include "tardis/container/recorded_dir.h"
#include "tardis/container/rootfs_overlay.h"
#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/callers_dump.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/periodic/request.h"
#include "tardis/runtime/listener_starter.h"
#include "tardis/runtime/runc_status.h"
#include "tardis/runc/checkpoint_argv.h"
#include "tardis/runc/restore_argv.h"
#include "tardis/state/checkpoint_stats.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/process_start.h"

namespace tardis {

namespace checkpoint_internal {

// Undoes what a checkpoint did before it gave up: the staging image, and a freeze of
// Tardis's own making (journaled as Flag::kPausedByTardis, so that if this process dies
// the next checkpoint of the container thaws it). Holds the container's checkpoint lock
// until it ends.
class CheckpointAttempt {
 public:
  CheckpointAttempt(const Node& node, const runc::Invocation& call, ContainerState& state)
      : node_(node), call_(call), state_(state) {}
  ~CheckpointAttempt() {
    if (!staging_.empty()) (void)RemoveTree(staging_);
    // A failed thaw clears the journal too: the container goes with its failed call.
    if (!Thaw()) (void)state_.Consume(Flag::kPausedByTardis);
    for (const int fd : lock_fds_) ::close(fd);
  }
  void hold_lock(int fd) { lock_fds_.push_back(fd); }
  void set_staging(std::string staging) { staging_ = std::move(staging); }
  void set_paused_by_us() { paused_by_us_ = true; }
  // CRIU stopped the container: there is nothing left to thaw.
  void ContainerStopped() {
    if (std::exchange(paused_by_us_, false)) (void)state_.Consume(Flag::kPausedByTardis);
  }
  // A periodic checkpoint has read all it needs: the job goes on. False when runc could
  // not thaw it (the journal keeps the pause, so the next checkpoint tries again).
  bool Thaw() {
    if (!std::exchange(paused_by_us_, false)) return true;
    absl::StatusOr<RunResult> thawed = QueryRunc(node_, call_, {"resume", call_.id()});
    if (!thawed.ok() || thawed->exit_code != 0) return false;
    (void)state_.Consume(Flag::kPausedByTardis);
    return true;
  }
  bool paused_by_us() const { return paused_by_us_; }
  // A final checkpoint's image is published: the container stops as plain runc's
  // checkpoint would have stopped it. SIGKILL to every process, then a thaw (a frozen
  // process dies only once thawed; whoever froze it). False when runc could not kill it:
  // it then goes on, thawed by whoever froze it.
  bool Stop() {
    absl::StatusOr<RunResult> killed = QueryRunc(node_, call_, {"kill", "--all", call_.id(), "KILL"});
    if (!killed.ok() || killed->exit_code != 0) return false;
    (void)QueryRunc(node_, call_, {"resume", call_.id()});
    ContainerStopped();
    return true;
  }
  // The staging image became the published one.
  void Published() { staging_.clear(); }

 private:
  const Node& node_;
  const runc::Invocation& call_;
  ContainerState& state_;
  std::string staging_;
  bool paused_by_us_ = false;
  std::vector<int> lock_fds_;
};

}  // namespace checkpoint_internal

// What the caller finds at its --image-path (callers_dump.h): a note saying where
// Tardis's image is (unique per checkpoint, as containerd needs), CRIU's dump (Docker),
// or nothing (Tardis's own finalize).
inline void AnswerCaller(const Node& node, const runc::Invocation& call, const container::RecordedDir& image,
                         const Manifest& manifest) {
  const runc::Option* callers_dir = call.Find("image-path");
  const std::string image_path = callers_dir != nullptr ? callers_dir->value : "";
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  switch (DecideCallersDump(call.ns, image_path, node.config.state_dir)) {
    case CallersDump::kNothing:
      return;
    case CallersDump::kDump: {
      const absl::StatusOr<std::string> shared =
          ShareDumpWithCaller(absl::StrCat(image.path(), "/", kCriuDirName), call);
      if (!shared.ok()) node.log.Warning(who, ": CRIU's dump not given to the caller: ", shared.status().message());
      return;
    }
    case CallersDump::kNote: {
      if (image_path.empty()) return;
      const std::string note = nlohmann::json{{"tardis_image", image.shown()},
                                              {"namespace", call.ns},
                                              {"identity", manifest.identity},
                                              {"id", call.id()},
                                              {"created_unix_nanos", manifest.created_unix_nanos}}
                                   .dump() + "\n";
      const absl::Status written = WriteFileAtomically(absl::StrCat(image_path, "/tardis-image.json"), note, 0644);
      if (!written.ok()) node.log.Warning(who, ": no note for containerd: ", written.message());
      return;
    }
  }
}

namespace checkpoint_internal {

// The container stopped with its checkpoint: containerd's resume after it is a no-op.
inline void SkipNextResume(const Node& node, ContainerState& state, const std::string& who) {
  if (absl::Status skip = state.Set(Flag::kSkipResume); !skip.ok()) {
    node.log.Warning(who, ": could not remember to skip the next resume: ", skip.message());
  }
}

}  // namespace checkpoint_internal

inline Outcome HandleCheckpoint(const Node& node, const runc::Invocation& call) {
  using checkpoint_internal::CheckpointAttempt;
  using checkpoint_internal::SkipNextResume;
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  ContainerState state = node.state.For(call.ns, call.id());
  const std::optional<ContainerRecord> record = state.Recorded();
  if (!record) return Outcome::PassThrough();
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  const runc::Option* callers_dir = call.Find("image-path");
  const std::string callers_path = callers_dir != nullptr ? callers_dir->value : "";
  const bool periodic =
      periodic::IsPeriodicRequest(callers_path, call.Enabled("leave-running"), node.config.state_dir);
  CheckpointStats stats;
  stats.periodic = periodic;
  stats.started_unix_nanos = NowUnixNanos();
  const int64_t handler_started = MonotonicNanos();
  const auto give_up = [&](absl::string_view what, const absl::Status& why) {
    node.log.Error(who, ": checkpoint: ", what, ": ", why.message(),
                   "; passing containerd's checkpoint to runc unchanged");
    return Outcome::PassThrough();
  };

  // Everything below happens in the image's parent as it is now, confined again.
  absl::StatusOr<container::RecordedDir> image =
      container::PinRecordedDir(record->image_dir, node.config.AllowedRoots(), /*create=*/true);
  if (!image.ok()) return give_up("the image directory", image.status());
  if (absl::Status held = CheckLeaseHeld(ImagePaths::Of(image->path()).lease(), ThisContainer(node, call));
      !held.ok()) {
    return give_up(absl::StrCat("checkpoint identity ", call.ns, "/", record->identity), held);
  }
  absl::StatusOr<container::OverlayMount> overlay = container::FindRootfsOverlay(record->rootfs);
  if (!overlay.ok()) return give_up("finding the upperdir", overlay.status());
  const std::string& upperdir = overlay->upperdir;

  // A handled call of an opted-in container: if the listener died, its exits (and its
  // periodic checkpoints) need one again.
  EnsureListenerRunning(node.config, node.log);
  CheckpointAttempt attempt(node, call, state);
  if (!periodic) {
    // A periodic checkpoint in flight ends with containerd's resume, after its handler
    // let go of the checkpoint lock: wait for all of it, so that this checkpoint decides
    // how to freeze the container once nobody else will thaw it.
    absl::StatusOr<int> quiet = state.LockAgainstPeriodic(node.config.criu_timeout_ms);
    if (quiet.ok()) {
      attempt.hold_lock(*quiet);
    } else {
      node.log.Warning(who, ": checkpoint: ", quiet.status().message(), "; going on without waiting for it");
    }
  }
  absl::StatusOr<int> lock = state.LockForCheckpoint();
  if (!lock.ok()) return give_up("locking the container's state", lock.status());
  attempt.hold_lock(*lock);
  // With the lock held no other checkpoint runs: a pause journaled by one is one whose
  // process died before it could thaw the container.
  if (state.Consume(Flag::kPausedByTardis)) {
    absl::StatusOr<RunResult> thawed = QueryRunc(node, call, {"resume", call.id()});
    node.log.Warning(who, ": an earlier checkpoint froze the container and died; ",
                     thawed.ok() && thawed->exit_code == 0 ? "thawed it" : "thawing it failed");
  }
  absl::StatusOr<std::string> staging = CreateStaging(image->path());
  if (!staging.ok()) return give_up("creating the staging image", staging.status());
  attempt.set_staging(*staging);

  // When the container was frozen, as far as this handler knows: containerd's own
  // checkpoint pauses it before calling runc (and resumes it after), so it came frozen.
  int64_t frozen_at = handler_started;
  absl::StatusOr<std::string> status = QueryRuncStatus(node.runc, node.log, call);
  if (!status.ok()) return give_up("reading the container's status", status.status());
  const std::vector<std::string> thaw = QueryArgv(call, {"resume", call.id()});
  if (*status == "running") {
    if (absl::Status journaled = state.JournalPause({thaw, 0, 0}); !journaled.ok()) {
      return give_up("journaling the pause", journaled);
    }
    attempt.set_paused_by_us();  // from here on a failure thaws it
    frozen_at = MonotonicNanos();
    absl::StatusOr<RunResult> paused = QueryRunc(node, call, {"pause", call.id()});
    if (!paused.ok() || paused->exit_code != 0) {
      return give_up("pausing", paused.ok() ? absl::InternalError("runc pause failed") : paused.status());
    }
  } else if (*status != "paused") {
    return give_up("checking the container", absl::FailedPreconditionError(absl::StrCat("it is ", *status)));
  }

  const std::string criu_dir = absl::StrCat(*staging, "/", kCriuDirName);
  if (periodic) node.log.Info(who, ": periodic checkpoint: frozen, dumping");
  // With --tcp-established, CRIU takes established connections out of repair mode after
  // a dump that leaves the container running, and killing it then would close them for
  // good (the peer sees them end): CRIU stops such a container itself, as before.
  const bool criu_stops_it = !periodic && call.Enabled("tcp-established");
  const runc::Invocation dump = runc::CheckpointIntoImage(
      call, PinnedDirectory::ForChildren(criu_dir), criu_stops_it ? runc::LeaveRunning::kNo : runc::LeaveRunning::kYes);
  const int64_t dump_started = MonotonicNanos();
  absl::StatusOr<Child> dumping = StartRunc(node, dump);
  if (!dumping.ok()) return give_up("running runc checkpoint", dumping.status());
  if (attempt.paused_by_us()) {
    // Whoever finds the journal after this process died must let this runc finish
    // first: CRIU puts the cgroup back as frozen as it found it.
    const std::optional<uint64_t> started = ProcessStartTicks(dumping->pid());
    if (absl::Status journaled =
            state.JournalPause({thaw, dumping->pid(), static_cast<int64_t>(started.value_or(0))});
        !journaled.ok()) {
      node.log.Warning(who, ": checkpoint: journaling runc's pid: ", journaled.message());
    }
  }
  const std::string archive = absl::StrCat(*staging, "/", kRootfsArchiveName);
  // With the nodes' image key, every file is named by SHA-256 too and the manifest
  // signed (image/authenticity.h).
  const ImageKey key = LoadImageKey(node.config.image_key_file);
  if (key.state == ImageKey::State::kUnusable) {
    node.log.Error(who, ": checkpoint: ", key.problem, "; the image is written unsigned, and no node with a key "
                   "will restore it");
  }
  const StreamHash::Sha sha = key.sha();
  absl::StatusOr<PackResult> packed = absl::UnknownError("not packed");
  absl::StatusOr<std::vector<ImageFile>> criu_files = absl::UnknownError("not sealed");
  absl::StatusOr<int> code = absl::UnknownError("not waited for");
  {
    // The archive gets a thread of its own, so that CRIU's files are digested and made
    // durable as soon as runc is done, while the archive is still being written. (The
    // packer moves the working directory; everything here uses absolute paths.)
    std::jthread packer([&] {
      packed = PackUpperdir(upperdir, archive, sha);
      stats.archive_nanos = MonotonicNanos() - dump_started;
    });
    code = WaitForRunc(node, dump, *dumping);
    stats.dump_nanos = MonotonicNanos() - dump_started;
    if (code.ok() && *code == 0 && !periodic) criu_files = SealCriuFiles(*staging, sha);
  }
  bool thawed_here = false;
  if (periodic && code.ok() && *code == 0) {
    // Everything the image holds has been read: a job Tardis froze need not wait for
    // the disk (one containerd froze, it thaws once this call returns).
    if (attempt.paused_by_us()) {
      thawed_here = attempt.Thaw();
      if (!thawed_here) node.log.Error(who, ": periodic checkpoint: thawing the container failed; it stays frozen");
      stats.frozen_nanos = MonotonicNanos() - frozen_at;
    }
    criu_files = SealCriuFiles(*staging, sha);
  }
  const auto failed = [&](const std::string& problem) {
    stats.finished_unix_nanos = NowUnixNanos();
    stats.problem = problem;
    (void)state.RecordCheckpointStats(stats);
  };
  if (!code.ok()) {
    node.log.Error(who, ": lost track of runc checkpoint: ", code.status().message(),
                   "; the previous image is kept and the container goes on");
    failed(absl::StrCat("runc checkpoint: ", code.status().message()));
    return Outcome::Exit(1);
  }
  if (*code != 0) {
    node.log.Error(who, ": runc checkpoint failed with status ", *code,
                   "; the previous image is kept and the container goes on");
    failed(absl::StrCat("runc checkpoint failed with status ", *code));
    return Outcome::Exit(*code);  // the attempt thaws what Tardis froze and drops staging
  }
  // CRIU's dump is complete and the container is still there, frozen (unless CRIU
  // stopped it).
  if (criu_stops_it) attempt.ContainerStopped();
  if (!packed.ok() && (periodic || DecideCallersDump(call.ns, callers_path, node.config.state_dir) ==
                                       CallersDump::kNothing)) {
    // Tardis's own finalize or periodic checkpoint asked: a dump handed to its scratch
    // dir would serve nobody. The container goes on.
    node.log.Error(who, ": checkpoint: archiving the upperdir failed: ", packed.status().message(),
                   "; the previous image is kept", criu_stops_it ? "" : " and the container goes on");
    failed(absl::StrCat("archiving the upperdir failed: ", packed.status().message()));
    return Outcome::Exit(1);
  }
  if (!packed.ok()) {
    const absl::StatusOr<std::string> handed = HandDumpToCaller(criu_dir, call);
    const bool stopped = criu_stops_it || (handed.ok() && attempt.Stop());
    node.log.Error(who, ": checkpoint: archiving the upperdir failed: ", packed.status().message(),
                   handed.ok() ? absl::StrCat("; CRIU's dump went to ", *handed, " as plain runc's would have")
                               : absl::StrCat("; CRIU's dump could not be handed over either: ",
                                              handed.status().message()),
                   "; Tardis's image is OLDER than this checkpoint",
                   stopped ? "; the container stopped" : "; the container goes on");
    failed(absl::StrCat("archiving the upperdir failed (", packed.status().message(), ")",
                        handed.ok() ? "; CRIU's dump went to the caller" : ""));
    if (stopped) SkipNextResume(node, state, who);
    return Outcome::Exit(stopped ? 0 : 1);
  }
  for (const std::string& note : packed->notes) node.log.Warning(who, ": checkpoint: ", note);

  // Seal: every file durable (CRIU's above, the archive's writeback has run alongside),
  // the manifest written last; then publish.
  Manifest manifest;
  manifest.ns = call.ns;
  manifest.identity = record->identity;
  manifest.container_id = call.id();
  manifest.created_unix_nanos = NowUnixNanos();
  manifest.restore_options = runc::OptionsToRepeatAtRestore(call);
  manifest.rootfs = ImageFile{kRootfsArchiveName, packed->bytes, packed->xxh3_128_hex, packed->sha256_hex};
  absl::Status sealed = criu_files.status();
  if (sealed.ok()) sealed = SyncFile(archive);
  if (sealed.ok()) {
    manifest.criu = *std::move(criu_files);
    if (key.signs()) manifest.mac = ManifestMac(manifest, key.bytes);
    sealed = WriteManifest(*staging, manifest);
  }
  if (sealed.ok()) sealed = Publish(*staging, image->path());
  if (!sealed.ok()) {
    node.log.Error(who, ": the checkpoint succeeded but its image could not be published: ",
                   sealed.message(), "; the previous image is kept and the container goes on");
    failed(absl::StrCat("publishing the image failed: ", sealed.message()));
    return Outcome::Exit(1);
  }
  attempt.Published();
  AnswerCaller(node, call, *image, manifest);
  if (!periodic) {
    if (!criu_stops_it && !attempt.Stop()) {
      node.log.Error(who, ": checkpointed, but runc could not stop the container; it goes on");
    } else {
      SkipNextResume(node, state, who);
    }
  }
  stats.finished_unix_nanos = NowUnixNanos();
  if (!thawed_here) stats.frozen_nanos = MonotonicNanos() - frozen_at;  // frozen still, until the caller thaws it
  stats.image_bytes = static_cast<int64_t>(packed->bytes);
  for (const ImageFile& file : manifest.criu) stats.image_bytes += static_cast<int64_t>(file.bytes);
  if (absl::Status kept = state.RecordCheckpointStats(stats); !kept.ok()) {
    node.log.Warning(who, ": checkpoint figures not kept: ", kept.message());
  }
  node.log.Info(who, periodic ? ": periodic checkpoint as " : ": checkpointed as ", call.ns, "/", record->identity,
                " into ", record->image_dir, " (upperdir archive ", packed->bytes, " bytes, ", manifest.criu.size(),
                " CRIU files; ", DescribeCheckpointStats(stats), ")");
  return Outcome::Exit(0);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_CHECKPOINT_H_
