// resume: after Tardis's checkpoint the container is stopped (it must not drift from its
// image), so the resume containerd sends after every checkpoint has nothing to do.
#ifndef TARDIS_LIFECYCLE_RESUME_H_
#define TARDIS_LIFECYCLE_RESUME_H_

#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"

namespace tardis {

inline Outcome HandleResume(const Node& node, const runc::Invocation& call) {
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  if (!node.state.For(call.ns, call.id()).Consume(Flag::kSkipResume)) return Outcome::PassThrough();
  node.log.Info(call.ns, "/", call.id(), ": resume skipped, the checkpoint stopped the container");
  return Outcome::Exit(0);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_RESUME_H_
