// The writable layer of a container: the upperdir of the overlay mounted exactly at
// <bundle>/rootfs, as this process's mount table shows it.
#ifndef TARDIS_LIFECYCLE_UPPERDIR_H_
#define TARDIS_LIFECYCLE_UPPERDIR_H_

#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/container/mountinfo.h"
#include "tardis/container/read_mountinfo.h"

namespace tardis {

// `bundle` must be a resolved path (mountinfo shows resolved mount points).
inline absl::StatusOr<std::string> UpperdirOfBundle(const std::string& bundle) {
  absl::StatusOr<std::string> mountinfo = container::ReadMountinfo();
  if (!mountinfo.ok()) return mountinfo.status();
  return container::OverlayUpperdirAt(*mountinfo, absl::StrCat(bundle, "/rootfs"));
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_UPPERDIR_H_
