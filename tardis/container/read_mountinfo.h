// ReadMountinfo(): this process's /proc/self/mountinfo, for OverlayUpperdirAt().
#ifndef TARDIS_CONTAINER_READ_MOUNTINFO_H_
#define TARDIS_CONTAINER_READ_MOUNTINFO_H_

#include <string>

#include <absl/status/statusor.h>

#include "tardis/sys/files.h"

namespace tardis::container {

// A node with thousands of containers, each overlay line a few kilobytes, stays far below.
inline constexpr size_t kMaxMountinfoBytes = 256 * 1024 * 1024;

inline absl::StatusOr<std::string> ReadMountinfo(const std::string& path = "/proc/self/mountinfo") {
  return ReadSmallFile(path, kMaxMountinfoBytes);
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_READ_MOUNTINFO_H_
