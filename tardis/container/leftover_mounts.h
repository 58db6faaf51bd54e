// Mounts a killed restore leaves behind, and taking them down before anything deletes
// through them.
//
// `runc restore` bind-mounts the container's rootfs at `<runc root>/<id>/criu-root` for
// CRIU, and CRIU mounts its cgroup yard under the restore's work dir; a restore that is
// killed leaves both mounted. `runc delete --force` of a container whose state.json is
// missing removes `<runc root>/<id>` recursively, *through* that bind mount: the
// container's writable layer would be emptied. So before such a delete, and before
// Tardis's own rollback of a failed restore, every mount beneath those directories is
// detached. Nothing else lives beneath them while runc does not know the container.
#ifndef TARDIS_CONTAINER_LEFTOVER_MOUNTS_H_
#define TARDIS_CONTAINER_LEFTOVER_MOUNTS_H_

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "tardis/container/mountinfo.h"
#include "tardis/container/path.h"
#include "tardis/container/read_mountinfo.h"
#include "tardis/sys/errno_status.h"

namespace tardis::container {

// The mount points strictly beneath `dir` (normalized, absolute), deepest first, each
// once: the order in which they can be detached. A malformed `dir` gives none.
inline std::vector<std::string> MountsBeneath(absl::string_view mountinfo, absl::string_view dir) {
  absl::StatusOr<std::string> base = NormalizeAbsolutePath(dir);
  if (!base.ok() || *base == "/") return {};
  const std::string prefix = absl::StrCat(*base, "/");
  std::vector<std::string> found;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::optional<MountinfoEntry> entry = ParseMountinfoLine(line);
    if (entry && absl::StartsWith(entry->mount_point, prefix)) found.push_back(std::move(entry->mount_point));
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  // A mount beneath another sorts after it; reversed, children come before parents.
  std::reverse(found.begin(), found.end());
  return found;
}

// Detaches every mount beneath `dir` (lazily: a process still inside keeps its view,
// and nothing is deleted through it any more). Returns what it detached; the first
// failure, if any, after trying them all.
inline absl::StatusOr<std::vector<std::string>> DetachMountsBeneath(const std::string& dir) {
  absl::StatusOr<std::string> mountinfo = ReadMountinfo();
  if (!mountinfo.ok()) return mountinfo.status();
  std::vector<std::string> detached;
  absl::Status first_failure;
  for (const std::string& mount_point : MountsBeneath(*mountinfo, dir)) {
    // Stacked mounts at one point: detach until nothing is left there.
    for (int layer = 0; layer < 64; ++layer) {
      if (::umount2(mount_point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
        if (layer == 0 && first_failure.ok()) {
          first_failure = ErrnoStatus(errno, absl::StrCat("detach ", mount_point));
        }
        break;
      }
      if (layer == 0) detached.push_back(mount_point);
    }
  }
  if (!first_failure.ok()) return first_failure;
  return detached;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_LEFTOVER_MOUNTS_H_
