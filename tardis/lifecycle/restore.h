// restore: a restore someone else started, from their own checkpoint: Docker's `docker
// start --checkpoint`, `ctr run --checkpoint`. runc does it as asked; Tardis only
// enrolls the container first (enroll.h), as create would, so that it is still known
// afterwards: finalize checkpoints it, delete applies the image rule, its identity's
// lease is held.
#ifndef TARDIS_LIFECYCLE_RESTORE_H_
#define TARDIS_LIFECYCLE_RESTORE_H_

#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/enroll.h"
#include "tardis/lifecycle/handler.h"

namespace tardis {

inline Outcome HandleRestore(const Node& node, const runc::Invocation& call) {
  absl::StatusOr<std::string> bundle = create_internal::BundleOf(call);
  if (!bundle.ok()) return Outcome::PassThrough();
  absl::StatusOr<std::string> config =
      ReadSmallFile(absl::StrCat(*bundle, "/config.json"), create_internal::kMaxConfigJsonBytes);
  if (!config.ok()) return Outcome::PassThrough();
  if (EnrollContainer(node, call, *bundle, *config)) {
    node.log.Info(call.ns, "/", call.id(), ": restoring from the caller's own checkpoint");
  }
  return Outcome::PassThrough();
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_RESTORE_H_
