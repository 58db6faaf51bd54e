// DecideImageFate(): at delete, whether a container's image (and shared-filesystem work
// directory) is deleted or kept.
//
// Only a container known to have finished its work keeps nothing: its own process exited
// with status 0. A non-zero exit, a kill, a checkpoint (CRIU's kill shows as 137), or an
// exit code that never arrived all keep the image, because deleting the only copy of a
// job's progress is the one mistake Tardis cannot undo.
#ifndef TARDIS_LIFECYCLE_IMAGE_FATE_H_
#define TARDIS_LIFECYCLE_IMAGE_FATE_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/strings/str_cat.h>

namespace tardis {

struct ImageFate {
  bool delete_image = false;
  std::string reason;  // for the log
};

// Whether delete should wait for the exit code: only when it is unknown and a listener
// is alive to deliver it.
inline bool ShouldWaitForExitCode(std::optional<int64_t> exit_code, bool listener_alive) {
  return !exit_code.has_value() && listener_alive;
}

inline ImageFate DecideImageFate(std::optional<int64_t> exit_code, bool listener_alive) {
  if (!exit_code.has_value()) {
    return {false, listener_alive ? "exit code did not arrive in time; keeping the image"
                                  : "no exit code and no listener running; keeping the image"};
  }
  if (*exit_code == 0) return {true, "exited 0: the job is done"};
  return {false, absl::StrCat("exited ", *exit_code, "; keeping the image")};
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_IMAGE_FATE_H_
