// RefreshLeases(): keeps the checkpoint-identity leases (image/lease.h) of this node's
// opted-in containers fresh, so that a job whose node is alive is never taken over, and
// a job whose node died is free once its lease goes stale. tardis-listen calls it every
// third of the staleness bound: it already runs wherever opted-in containers do.
#ifndef TARDIS_NODE_LEASE_KEEPER_H_
#define TARDIS_NODE_LEASE_KEEPER_H_

#include <functional>
#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/image/image_store.h"
#include "tardis/image/lease_store.h"
#include "tardis/node/opted_in.h"

namespace tardis::node {

struct LeaseRefresh {
  int refreshed = 0;
  int lost = 0;  // taken over by another container: this one's checkpoints will be refused
};

inline LeaseRefresh RefreshLeases(const std::string& state_dir, int64_t now_unix_nanos,
                                  const std::function<void(const std::string&)>& warn) {
  LeaseRefresh result;
  const std::string node = LocalNodeName(state_dir);
  for (const OptedIn& c : ListOptedIn(state_dir)) {
    const absl::Status refreshed =
        RefreshLease(ImagePaths::Of(c.record.image_dir).lease(), {node, c.ns, c.id}, now_unix_nanos);
    if (refreshed.ok()) {
      ++result.refreshed;
      continue;
    }
    if (absl::IsFailedPrecondition(refreshed)) ++result.lost;
    warn(absl::StrCat(c.ns, "/", c.id, ": lease of checkpoint identity ", c.ns, "/", c.record.identity,
                      " not refreshed: ", refreshed.message()));
  }
  return result;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_LEASE_KEEPER_H_
