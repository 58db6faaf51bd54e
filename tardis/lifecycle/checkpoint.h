// checkpoint: save an opted-in container so it can be restored, on this node or another.
//
//   1. make sure it is frozen (containerd pauses it first; if not, Tardis does, and
//      thaws it again if anything fails), so its files are quiet;
//   2. start runc's own checkpoint into a new staging image beside the current one,
//      without --work-path (dump.log lands in the image) and without --leave-running
//      (the container stops, so it cannot drift from its checkpoint);
//   3. while CRIU dumps, archive the upperdir into the same staging image: both only
//      read a container that stays frozen until CRIU stops it, and doing them at once
//      rather than one after the other is what keeps a checkpoint through Tardis about
//      as fast as `runc checkpoint` plus tar by hand (bench/checkpoint_bench.sh);
//   4. seal the image (manifest with checksums, written last) and publish it atomically;
//   5. remember that containerd's resume after this checkpoint is to be skipped.
// Before runc starts, any failure hands containerd's checkpoint to runc unchanged; so does
// a container that no longer holds its identity's lease (another container took the
// job over: its image is not this container's to write). If runc fails, its status is
// returned and the previous image stays. If runc succeeds but the archive failed, CRIU's
// dump goes where plain runc would have put it (dump_handover.h): containerd gets its own
// checkpoint, and the previous image stays. What the caller finds at its --image-path
// after a successful checkpoint is callers_dump.h's decision.
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
#include "tardis/archive/remove_tree.h"
#include "tardis/image/image_store.h"
#include "tardis/image/manifest.h"
#include "tardis/container/rootfs_overlay.h"
#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/callers_dump.h"
#include "tardis/lifecycle/dump_handover.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/lifecycle/runc_status.h"
#include "tardis/runc/checkpoint_argv.h"
#include "tardis/runc/restore_argv.h"
#include "tardis/sys/clock.h"

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
    if (paused_by_us_) {
      (void)QueryRunc(node_, call_, {"resume", call_.id()});
      (void)state_.Consume(Flag::kPausedByTardis);
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }
  void hold_lock(int fd) { lock_fd_ = fd; }
  void set_staging(std::string staging) { staging_ = std::move(staging); }
  void set_paused_by_us() { paused_by_us_ = true; }
  // CRIU stopped the container: there is nothing left to thaw.
  void ContainerStopped() {
    if (std::exchange(paused_by_us_, false)) (void)state_.Consume(Flag::kPausedByTardis);
  }
  // The staging image became the published one.
  void Published() { staging_.clear(); }

 private:
  const Node& node_;
  const runc::Invocation& call_;
  ContainerState& state_;
  std::string staging_;
  bool paused_by_us_ = false;
  int lock_fd_ = -1;
};

}  // namespace checkpoint_internal

// What the caller finds at its --image-path (callers_dump.h): a note saying where
// Tardis's image is (unique per checkpoint, as containerd needs), CRIU's dump (Docker),
// or nothing (Tardis's own finalize).
inline void AnswerCaller(const Node& node, const runc::Invocation& call, const std::string& image_dir,
                         const Manifest& manifest) {
  const runc::Option* callers_dir = call.Find("image-path");
  const std::string image_path = callers_dir != nullptr ? callers_dir->value : "";
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  switch (DecideCallersDump(call.ns, image_path, node.config.state_dir)) {
    case CallersDump::kNothing:
      return;
    case CallersDump::kDump: {
      const absl::StatusOr<std::string> shared =
          ShareDumpWithCaller(absl::StrCat(image_dir, "/", kCriuDirName), call);
      if (!shared.ok()) node.log.Warning(who, ": CRIU's dump not given to the caller: ", shared.status().message());
      return;
    }
    case CallersDump::kNote: {
      if (image_path.empty()) return;
      const std::string note = nlohmann::json{{"tardis_image", image_dir},
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

inline Outcome HandleCheckpoint(const Node& node, const runc::Invocation& call) {
  using checkpoint_internal::CheckpointAttempt;
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  ContainerState state = node.state.For(call.ns, call.id());
  const std::optional<ContainerRecord> record = state.Recorded();
  if (!record) return Outcome::PassThrough();
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  const auto give_up = [&](absl::string_view what, const absl::Status& why) {
    node.log.Error(who, ": checkpoint: ", what, ": ", why.message(),
                   "; passing containerd's checkpoint to runc unchanged");
    return Outcome::PassThrough();
  };

  if (absl::Status held = CheckLeaseHeld(ImagePaths::Of(record->image_dir).lease(), ThisContainer(node, call));
      !held.ok()) {
    return give_up(absl::StrCat("checkpoint identity ", call.ns, "/", record->identity), held);
  }
  absl::StatusOr<container::OverlayMount> overlay = container::FindRootfsOverlay(record->rootfs);
  if (!overlay.ok()) return give_up("finding the upperdir", overlay.status());
  const std::string& upperdir = overlay->upperdir;

  CheckpointAttempt attempt(node, call, state);
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
  absl::StatusOr<std::string> staging = CreateStaging(record->image_dir);
  if (!staging.ok()) return give_up("creating the staging image", staging.status());
  attempt.set_staging(*staging);

  absl::StatusOr<std::string> status = QueryRuncStatus(node, call);
  if (!status.ok()) return give_up("reading the container's status", status.status());
  if (*status == "running") {
    if (absl::Status journaled = state.Set(Flag::kPausedByTardis); !journaled.ok()) {
      return give_up("journaling the pause", journaled);
    }
    attempt.set_paused_by_us();  // from here on a failure thaws it
    absl::StatusOr<RunResult> paused = QueryRunc(node, call, {"pause", call.id()});
    if (!paused.ok() || paused->exit_code != 0) {
      return give_up("pausing", paused.ok() ? absl::InternalError("runc pause failed") : paused.status());
    }
  } else if (*status != "paused") {
    return give_up("checking the container", absl::FailedPreconditionError(absl::StrCat("it is ", *status)));
  }

  const std::string criu_dir = absl::StrCat(*staging, "/", kCriuDirName);
  const runc::Invocation dump = runc::CheckpointIntoImage(call, criu_dir);
  absl::StatusOr<Child> dumping = StartRunc(node, dump);
  if (!dumping.ok()) return give_up("running runc checkpoint", dumping.status());
  const std::string archive = absl::StrCat(*staging, "/", kRootfsArchiveName);
  absl::StatusOr<PackResult> packed = absl::UnknownError("not packed");
  absl::StatusOr<std::vector<ImageFile>> criu_files = absl::UnknownError("not sealed");
  absl::StatusOr<int> code = absl::UnknownError("not waited for");
  {
    // The archive gets a thread of its own, so that CRIU's files are digested and made
    // durable as soon as runc is done, while the archive is still being written. (The
    // packer moves the working directory; everything here uses absolute paths.)
    std::jthread packer([&] { packed = PackUpperdir(upperdir, archive); });
    code = WaitForRunc(node, dump, *dumping);
    if (code.ok() && *code == 0) criu_files = SealCriuFiles(*staging);
  }
  if (!code.ok()) {
    node.log.Error(who, ": lost track of runc checkpoint: ", code.status().message(), "; the previous image is kept");
    return Outcome::Exit(1);
  }
  if (*code != 0) {
    node.log.Error(who, ": runc checkpoint failed with status ", *code, "; the previous image is kept");
    return Outcome::Exit(*code);  // the attempt thaws what Tardis froze and drops staging
  }
  attempt.ContainerStopped();
  const runc::Option* callers_dir = call.Find("image-path");
  if (!packed.ok() && DecideCallersDump(call.ns, callers_dir != nullptr ? callers_dir->value : "",
                                        node.config.state_dir) == CallersDump::kNothing) {
    // Tardis's own finalize asked: a dump handed to its scratch dir would serve nobody.
    node.log.Error(who, ": checkpoint: archiving the upperdir failed: ", packed.status().message(),
                   "; the previous image is kept");
    return Outcome::Exit(1);
  }
  if (!packed.ok()) {
    const absl::StatusOr<std::string> handed = HandDumpToCaller(criu_dir, call);
    node.log.Error(who, ": checkpoint: archiving the upperdir failed: ", packed.status().message(),
                   handed.ok() ? absl::StrCat("; CRIU's dump went to ", *handed, " as plain runc's would have")
                               : absl::StrCat("; CRIU's dump could not be handed over either: ",
                                              handed.status().message()),
                   "; the previous image is kept");
    if (absl::Status skip = state.Set(Flag::kSkipResume); !skip.ok()) {
      node.log.Warning(who, ": could not remember to skip the next resume: ", skip.message());
    }
    return Outcome::Exit(handed.ok() ? 0 : 1);
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
  manifest.rootfs = ImageFile{kRootfsArchiveName, packed->bytes, packed->xxh3_128_hex};
  absl::Status sealed = criu_files.status();
  if (sealed.ok()) sealed = SyncFile(archive);
  if (sealed.ok()) {
    manifest.criu = *std::move(criu_files);
    sealed = WriteManifest(*staging, manifest);
  }
  if (sealed.ok()) sealed = Publish(*staging, record->image_dir);
  if (!sealed.ok()) {
    node.log.Error(who, ": the checkpoint succeeded but its image could not be published: ",
                   sealed.message(), "; the previous image is kept");
    return Outcome::Exit(1);
  }
  attempt.Published();
  AnswerCaller(node, call, record->image_dir, manifest);
  if (absl::Status skip = state.Set(Flag::kSkipResume); !skip.ok()) {
    node.log.Warning(who, ": could not remember to skip the next resume: ", skip.message());
  }
  node.log.Info(who, ": checkpointed as ", call.ns, "/", record->identity, " into ", record->image_dir,
                " (upperdir archive ", packed->bytes,
                " bytes, ", manifest.criu.size(), " CRIU files)");
  return Outcome::Exit(0);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_CHECKPOINT_H_
