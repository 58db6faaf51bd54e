// RefreshLeases(): keeps the checkpoint-identity leases (image/lease.h) of this node's
// opted-in containers fresh, so that a job whose node is alive is never taken over, and
// a job whose node died is free once its lease goes stale. tardis-listen calls it every
// third of the staleness bound: it already runs wherever opted-in containers do.
#ifndef TARDIS_NODE_LEASE_KEEPER_H_
#define TARDIS_NODE_LEASE_KEEPER_H_

#include <functional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>

#include "tardis/container/recorded_dir.h"
#include "tardis/image/image_store.h"
#include "tardis/image/lease_store.h"
#include "tardis/node/opted_in.h"

namespace tardis::node {

struct LeaseRefresh {
  int refreshed = 0;
  int lost = 0;  // taken over by another container: this one's checkpoints will be refused
};

inline LeaseRefresh RefreshLeases(const std::string& state_dir, const std::vector<std::string>& allowed_roots,
                                  int64_t now_unix_nanos, const std::function<void(const std::string&)>& warn) {
  LeaseRefresh result;
  const std::string node = LocalNodeName(state_dir);
  for (const OptedIn& c : ListOptedIn(state_dir)) {
    // Written through the image's parent confined again (container/recorded_dir.h).
    absl::StatusOr<container::RecordedDir> image =
        container::PinRecordedDir(c.record.image_dir, allowed_roots, /*create=*/false);
    const absl::Status refreshed =
        image.ok() ? RefreshLease(ImagePaths::Of(image->path()).lease(), {node, c.ns, c.id}, now_unix_nanos)
                   : image.status();
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
