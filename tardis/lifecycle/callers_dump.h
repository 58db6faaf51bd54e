// DecideCallersDump(): what the caller of a checkpoint finds at its --image-path once
// Tardis has saved the container into its own image.
//
// containerd turns whatever is there into a checkpoint image in its content store, so
// what it gets costs time on the notice's clock: a small note (where Tardis's image is)
// is enough for containerd's own users, and makes every checkpoint's content unique
// (containerd refuses a second identical one). Docker is different: `docker checkpoint
// create` copies the checkpoint out of containerd into its own checkpoint directory, and
// `docker start --checkpoint` restores from that, so under Docker (namespace moby) the
// caller gets CRIU's dump itself, shared with Tardis's image by hard links where the
// filesystems allow. Tardis's own finalize passes an image path inside Tardis's state
// directory, which nobody reads: nothing is written there.
#ifndef TARDIS_LIFECYCLE_CALLERS_DUMP_H_
#define TARDIS_LIFECYCLE_CALLERS_DUMP_H_

#include <absl/strings/string_view.h>

#include "tardis/container/docker.h"
#include "tardis/container/path.h"

namespace tardis {

enum class CallersDump { kNote, kDump, kNothing };

// `image_path`: the caller's --image-path, absolute ("" when none was given).
inline CallersDump DecideCallersDump(absl::string_view ns, absl::string_view image_path,
                                     absl::string_view state_dir) {
  if (!image_path.empty() && image_path.front() == '/' && !state_dir.empty() &&
      container::PathIsAtOrBelow(image_path, state_dir)) {
    return CallersDump::kNothing;
  }
  return ns == container::kDockerNamespace ? CallersDump::kDump : CallersDump::kNote;
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_CALLERS_DUMP_H_
