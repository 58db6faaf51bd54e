// RollBackUnmounted(): undo an unpack after runc's restore used the container's rootfs.
//
// overlayfs leaves changes made directly to the upperdir of a mounted overlay undefined:
// a restore has looked paths up through the mount, and the overlay's cached view would
// outlive files removed underneath it (a fresh create then mounts /proc on a directory
// that no longer exists in the upperdir). So the rollback happens with the rootfs
// unmounted, and the rootfs is mounted again exactly as containerd mounted it: same
// source, same overlay options (mountinfo's super options, decoded once, are the
// options string the overlay was mounted with).
#ifndef TARDIS_LIFECYCLE_UNMOUNTED_ROLLBACK_H_
#define TARDIS_LIFECYCLE_UNMOUNTED_ROLLBACK_H_

#include <sys/mount.h>

#include <cerrno>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "tardis/archive/unpack.h"
#include "tardis/container/mountinfo.h"
#include "tardis/container/read_mountinfo.h"
#include "tardis/sys/errno_status.h"

namespace tardis {

// The last mount exactly at `mount_point`, if any.
inline std::optional<container::MountinfoEntry> MountAt(absl::string_view mountinfo,
                                                         absl::string_view mount_point) {
  std::optional<container::MountinfoEntry> found;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n')) {
    std::optional<container::MountinfoEntry> entry = container::ParseMountinfoLine(line);
    if (entry && entry->mount_point == mount_point) found = std::move(entry);
  }
  return found;
}

inline absl::Status RollBackUnmounted(const std::string& bundle, const std::string& upperdir,
                                      const UnpackRecord& record) {
  const std::string rootfs = absl::StrCat(bundle, "/rootfs");
  absl::StatusOr<std::string> mountinfo = container::ReadMountinfo();
  if (!mountinfo.ok()) return mountinfo.status();
  const std::optional<container::MountinfoEntry> mount = MountAt(*mountinfo, rootfs);
  if (!mount || mount->fstype != "overlay") {
    return absl::FailedPreconditionError(absl::StrCat("no overlay mounted at ", rootfs));
  }
  const std::string options = container::mountinfo_internal::DecodeOctalEscapes(mount->super_options);
  if (::umount2(rootfs.c_str(), UMOUNT_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, absl::StrCat("unmount ", rootfs, " to roll back"));
  }
  const absl::Status rolled_back = RollbackUnpack(upperdir, record);
  if (::mount(mount->source.c_str(), rootfs.c_str(), "overlay", 0, options.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("mount ", rootfs, " again with ", options));
  }
  return rolled_back;
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_UNMOUNTED_ROLLBACK_H_
