// How tardis-listen asks for a periodic checkpoint, and how the checkpoint handler knows
// one when it sees it.
//
// The listener checkpoints through containerd (`ctr tasks checkpoint`, so containerd's
// bookkeeping stays right) without --exit, which makes containerd's shim pass runc
// --leave-running, and with an --image-path of its own inside Tardis's state directory
// (<state_dir>/periodic/...): containerd then keeps no checkpoint image of its own, and
// the handler writes nothing there (lifecycle/callers_dump.h). Both together mark the
// call as periodic: the handler keeps the job running. Any other checkpoint, including a
// user's `ctr tasks checkpoint` without --exit, is handled as a final one, as before.
#ifndef TARDIS_PERIODIC_REQUEST_H_
#define TARDIS_PERIODIC_REQUEST_H_

#include <cstdint>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/container/path.h"

namespace tardis::periodic {

inline std::string ScratchDir(absl::string_view state_dir) { return absl::StrCat(state_dir, "/periodic"); }

// A scratch path unique to one request.
inline std::string ScratchPathFor(absl::string_view state_dir, absl::string_view ns, absl::string_view id,
                                  int64_t unix_nanos) {
  return absl::StrCat(ScratchDir(state_dir), "/", ns, ".", id, ".", unix_nanos);
}

// `image_path`: the call's --image-path ("" when none).
inline bool IsPeriodicRequest(absl::string_view image_path, bool leave_running, absl::string_view state_dir) {
  if (!leave_running || !container::IsNormalizedAbsolutePath(image_path) || state_dir.empty()) return false;
  const std::string scratch = ScratchDir(state_dir);
  return image_path != scratch && container::PathIsAtOrBelow(image_path, scratch);
}

}  // namespace tardis::periodic

#endif  // TARDIS_PERIODIC_REQUEST_H_
