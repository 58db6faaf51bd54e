// Whether a call's namespace and container id can name Tardis's state and images:
// both are used as path elements, so anything but containerd's own identifier syntax
// leaves the call to runc alone.
#ifndef TARDIS_LIFECYCLE_IDENTITY_H_
#define TARDIS_LIFECYCLE_IDENTITY_H_

#include "tardis/container/image_location.h"
#include "tardis/runc/invocation.h"

namespace tardis {

inline bool HasValidIdentity(const runc::Invocation& call) {
  return container::ValidateIdentifier("namespace", call.ns).ok() &&
         container::ValidateIdentifier("container id", call.id()).ok();
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_IDENTITY_H_
