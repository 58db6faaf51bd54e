// delete: decide the fate of an opted-in container's image, then let runc delete it.
//
// The image (and the shared-filesystem work dir) goes only when the container's own
// process is known to have exited 0 (see image_fate.h). The exit code comes from
// tardis-listen; when a listener runs but the code has not arrived yet, delete waits
// up to delete_wait_ms for it. Then runc's delete runs as containerd asked, and once
// runc no longer knows the container, Tardis forgets it too and gives up its checkpoint
// identity's lease, so that the job's next container (here or on another node) can
// claim it at once.
#ifndef TARDIS_LIFECYCLE_DELETE_H_
#define TARDIS_LIFECYCLE_DELETE_H_

#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/container/recorded_dir.h"
#include "tardis/container/restore_leftovers.h"
#include "tardis/container/runc_state.h"
#include "tardis/image/image_store.h"
#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/lifecycle/image_fate.h"
#include "tardis/listener/listener_lock.h"
#include "tardis/runc/classify.h"
#include "tardis/runtime/listener_starter.h"
#include "tardis/runtime/runc_status.h"

namespace tardis {

namespace delete_internal {

inline std::optional<int64_t> ExitStatusOf(const ContainerState& state) {
  const std::optional<ExitRecord> exit = state.Exit();
  if (!exit) return std::nullopt;
  return exit->exit_status;
}

// Polls for the listener's record; an exit code usually lands within milliseconds of
// the process's end, and delete_wait_ms bounds the wait when it does not.
inline std::optional<int64_t> WaitForExitStatus(const ContainerState& state, int wait_ms) {
  constexpr int kStepMs = 5;
  for (int waited = 0;; waited += kStepMs) {
    if (std::optional<int64_t> status = ExitStatusOf(state)) return status;
    if (waited >= wait_ms) return std::nullopt;
    ::usleep(kStepMs * 1000);
  }
}

// runc's own record of the container (<root>/<id>/state.json) is gone.
inline bool RuncForgot(const runc::Invocation& call) {
  const runc::Option* root = call.FindGlobal("root");
  const std::string path = container::RuncStatePath(
      root != nullptr ? root->value : std::string(runc::kDefaultRuncRoot), call.id());
  struct stat st;
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

// Removes what create recorded at `recorded` with `remove`, through its parent confined
// again: a directory of the storage swapped for a symlink since create never leads the
// removal outside the allowed roots.
inline absl::Status RemoveRecordedDir(const Node& node, const std::string& recorded,
                                      absl::Status (*remove)(const std::string&)) {
  absl::StatusOr<container::RecordedDir> dir =
      container::PinRecordedDir(recorded, node.config.AllowedRoots(), /*create=*/false);
  if (absl::IsNotFound(dir.status())) return absl::OkStatus();  // nothing there to remove
  if (!dir.ok()) return dir.status();
  return remove(dir->path());
}

}  // namespace delete_internal

inline Outcome HandleDelete(const Node& node, const runc::Invocation& call) {
  using namespace delete_internal;
  node.clock.Enter("state");
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  ContainerState state = node.state.For(call.ns, call.id());
  const std::optional<ContainerRecord> record = state.Recorded();
  if (!record) return Outcome::PassThrough();
  const std::string who = absl::StrCat(call.ns, "/", call.id());

  std::optional<int64_t> exit_status = ExitStatusOf(state);
  const bool listener_alive = ListenerAlive(node.config.state_dir);
  // Only a stopped container's exit code can be on its way; a running one (delete
  // --force) reports its exit after runc kills it.
  if (ShouldWaitForExitCode(exit_status, listener_alive)) {
    node.clock.Enter("exit wait");
    absl::StatusOr<std::string> status = QueryRuncStatus(node.runc, node.log, call);
    if (status.ok() && *status == "stopped") {
      exit_status = WaitForExitStatus(state, node.config.delete_wait_ms);
    }
  }
  node.clock.Enter("image fate");
  const ImageFate fate = DecideImageFate(exit_status, listener_alive);
  if (fate.delete_image) {
    absl::Status removed = RemoveRecordedDir(node, record->image_dir, RemoveImage);
    if (removed.ok() && !record->work_dir.empty()) {
      removed = RemoveRecordedDir(node, record->work_dir, RemoveTree);
    }
    if (removed.ok()) {
      (void)state.ForgetExit();
      node.log.Info(who, ": ", fate.reason, "; deleted its image ", record->image_dir,
                    record->work_dir.empty() ? "" : absl::StrCat(" and work dir ", record->work_dir));
    } else {
      node.log.Error(who, ": ", fate.reason, "; deleting its image failed: ", removed.message());
    }
  } else if (!exit_status && !listener_alive) {
    // A gap in the listener: this container's exit went unrecorded, and the next one
    // would too. Said loudly, and a listener started for the containers still running.
    node.log.Warning(who, ": ", fate.reason, " (", record->image_dir,
                     "): tardis-listen was not running when it exited; starting one");
    EnsureListenerRunning(node.config, node.log);
  } else {
    node.log.Info(who, ": ", fate.reason, " (", record->image_dir, ")");
  }

  // runc removes the directory of a container it does not know recursively, through
  // whatever a killed restore left mounted there (the rootfs, at criu-root).
  if (RuncForgot(call)) container::DetachRestoreLeftovers(node.log, call, state.ScratchDir(container::kRestoreWorkDirName));
  absl::StatusOr<int> code = RunRunc(node, call);
  if (!code.ok()) return Outcome::PassThrough();
  node.clock.Enter("forget");
  if (RuncForgot(call)) {
    if (absl::StatusOr<container::RecordedDir> image =
            container::PinRecordedDir(record->image_dir, node.config.AllowedRoots(), /*create=*/false);
        image.ok()) {
      ReleaseLease(ImagePaths::Of(image->path()).lease(), ThisContainer(node, call));
    }
    if (absl::Status forgot = state.Forget(); !forgot.ok()) {
      node.log.Warning(who, ": could not forget its state: ", forgot.message());
    }
  }
  return Outcome::Exit(*code);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_DELETE_H_
