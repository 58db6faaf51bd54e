// start: a container restored at create is already running, so containerd's start must
// not run it again. Every other start is runc's.
//
// The skip-start flag says so; if create could not write it (a full state_dir), runc's
// start fails on the running container, and the runc status settles it: an opted-in
// container that runc reports running after a failed start was restored, and containerd
// is told its start worked rather than failing a running job.
#ifndef TARDIS_LIFECYCLE_START_H_
#define TARDIS_LIFECYCLE_START_H_

#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/lifecycle/runc_status.h"

namespace tardis {

inline Outcome HandleStart(const Node& node, const runc::Invocation& call) {
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  ContainerState state = node.state.For(call.ns, call.id());
  if (state.Consume(Flag::kSkipStart)) {
    node.log.Info(call.ns, "/", call.id(), ": start skipped, the container was restored running at create");
    return Outcome::Exit(0);
  }
  if (!state.Recorded()) return Outcome::PassThrough();
  absl::StatusOr<int> code = RunRunc(node, call);
  if (!code.ok()) return Outcome::PassThrough();  // runc could not even be started: it says why
  if (*code == 0) return Outcome::Exit(0);
  absl::StatusOr<std::string> status = QueryRuncStatus(node, call);
  if (status.ok() && *status == "running") {
    node.log.Warning(call.ns, "/", call.id(), ": runc start failed on a running container, restored at create "
                     "without its skip-start flag; its start is done");
    return Outcome::Exit(0);
  }
  return Outcome::Exit(*code);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_START_H_
