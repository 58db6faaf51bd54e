// Who a runc call is about: whether its namespace and container id can name Tardis's
// state (both become path elements, so anything but containerd's own identifier syntax
// leaves the call to runc alone), and the container as a lease holder names it.
#ifndef TARDIS_LIFECYCLE_IDENTITY_H_
#define TARDIS_LIFECYCLE_IDENTITY_H_

#include "tardis/container/image_location.h"
#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/runc/invocation.h"

namespace tardis {

inline bool HasValidIdentity(const runc::Invocation& call) {
  return container::ValidateIdentifier("namespace", call.ns).ok() &&
         container::ValidateIdentifier("container id", call.id()).ok();
}

inline LeaseHolder ThisContainer(const Node& node, const runc::Invocation& call) {
  return {LocalNodeName(node.config.state_dir), call.ns, call.id()};
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_IDENTITY_H_
