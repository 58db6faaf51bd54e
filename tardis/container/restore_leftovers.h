// Before runc deletes a container it does not know (no state.json), and before Tardis
// rolls back a restore that failed: detach what a killed restore left mounted, so that
// nothing is deleted through it (container/leftover_mounts.h says why).
#ifndef TARDIS_CONTAINER_RESTORE_LEFTOVERS_H_
#define TARDIS_CONTAINER_RESTORE_LEFTOVERS_H_

#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/container/leftover_mounts.h"
#include "tardis/container/runc_state.h"
#include "tardis/log/logger.h"
#include "tardis/runc/classify.h"

namespace tardis::container {

// The directory, among the container's state, that create's restore gives runc as
// --work-path (CRIU mounts its cgroup yard there).
inline constexpr char kRestoreWorkDirName[] = "restore-work";

// `restore_work_dir`: the container's kRestoreWorkDirName.
inline void DetachRestoreLeftovers(Logger& log, const runc::Invocation& call, const std::string& restore_work_dir) {
  const runc::Option* root = call.FindGlobal("root");
  const std::string runc_dir =
      RuncContainerDir(root != nullptr ? root->value : std::string(runc::kDefaultRuncRoot), call.id());
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  for (const std::string& dir : {runc_dir, restore_work_dir}) {
    // Nothing can be mounted beneath a directory that is not there (the usual case: the
    // mount table is not read on every delete).
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0 && errno == ENOENT) continue;
    absl::StatusOr<std::vector<std::string>> detached = DetachMountsBeneath(dir);
    if (!detached.ok()) {
      log.Error(who, ": a killed restore's mounts under ", dir, ": ", detached.status().message());
    } else if (!detached->empty()) {
      log.Warning(who, ": detached what a killed restore left mounted: ", absl::StrJoin(*detached, ", "));
    }
  }
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_RESTORE_LEFTOVERS_H_
