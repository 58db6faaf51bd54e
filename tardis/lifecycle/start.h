// start: a container restored at create is already running, so containerd's start must
// not run it again. Every other start is runc's.
#ifndef TARDIS_LIFECYCLE_START_H_
#define TARDIS_LIFECYCLE_START_H_

#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"

namespace tardis {

inline Outcome HandleStart(const Node& node, const runc::Invocation& call) {
  node.clock.Enter("skip flag");
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  if (!node.state.For(call.ns, call.id()).Consume(Flag::kSkipStart)) return Outcome::PassThrough();
  node.log.Info(call.ns, "/", call.id(), ": start skipped, the container was restored running at create");
  return Outcome::Exit(0);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_START_H_
