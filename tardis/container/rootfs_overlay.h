// The overlay a container's rootfs is mounted from, as this process's mount table shows
// it, and taking it down and up again around changes to its upperdir.
//
// overlayfs leaves changes made directly to the upperdir of a mounted overlay undefined:
// once paths were looked up through the mount, its cached view outlives files changed
// underneath it. A fresh containerd rootfs has been looked at by nobody, so a restore
// unpacks into it mounted; a rootfs someone already used (Docker's `docker start` of the
// same container), and every rollback after runc's restore looked through it, change
// the upperdir with the overlay unmounted, then mount it again exactly as it was.
#ifndef TARDIS_CONTAINER_ROOTFS_OVERLAY_H_
#define TARDIS_CONTAINER_ROOTFS_OVERLAY_H_

#include <sys/mount.h>

#include <cerrno>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/container/mountinfo.h"
#include "tardis/container/read_mountinfo.h"
#include "tardis/sys/errno_status.h"

namespace tardis::container {

// `mount_point` must be resolved (mountinfo shows resolved mount points).
inline absl::StatusOr<OverlayMount> FindRootfsOverlay(const std::string& mount_point) {
  absl::StatusOr<std::string> mountinfo = ReadMountinfo();
  if (!mountinfo.ok()) return mountinfo.status();
  return OverlayAt(*mountinfo, mount_point);
}

inline absl::Status UnmountOverlay(const OverlayMount& overlay) {
  if (::umount2(overlay.entry.mount_point.c_str(), UMOUNT_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, absl::StrCat("unmount ", overlay.entry.mount_point));
  }
  return absl::OkStatus();
}

inline absl::Status RemountOverlay(const OverlayMount& overlay) {
  const std::string options = RemountOptions(overlay);
  if (::mount(overlay.entry.source.c_str(), overlay.entry.mount_point.c_str(), "overlay", 0, options.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("mount ", overlay.entry.mount_point, " again with ", options));
  }
  return absl::OkStatus();
}

// Runs `change` on the upperdir with the overlay unmounted, and mounts it again whatever
// `change` returned. The first failure is returned.
template <typename Change>
absl::Status WithOverlayUnmounted(const OverlayMount& overlay, Change change) {
  if (absl::Status unmounted = UnmountOverlay(overlay); !unmounted.ok()) return unmounted;
  absl::Status changed = change();
  absl::Status remounted = RemountOverlay(overlay);
  return changed.ok() ? remounted : changed;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_ROOTFS_OVERLAY_H_
