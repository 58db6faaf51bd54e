// CollectLeftovers(): what attempts that crashed (a handler, a runc, a listener killed
// mid-way) left on this node, collected by tardis-listen when it starts and by
// `tardisctl gc`:
//   - <state_dir>/containers/.forgotten.*: a container's state that Forget() renamed
//     away but could not remove (CRIU's cgroup yard still mounted in a killed restore's
//     work dir): its mounts are detached, then it goes;
//   - <state_dir>/periodic/*: tardis-listen's scratch paths of checkpoints long over;
//   - staging images (.<identity>.staging.*, up to a whole dump) of this node's opted-in
//     containers, when the container holds its identity's lease and no checkpoint of it
//     is at work: nobody else may write that identity's images, so they are a dead
//     checkpoint's.
// Only what is older than `min_age_nanos` is collected (a forgotten dir is being removed,
// a scratch path is in use, while its owner lives), except staging, which the lease and
// the checkpoint lock already tell about.
#ifndef TARDIS_NODE_LEFTOVERS_H_
#define TARDIS_NODE_LEFTOVERS_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/directory_entries.h"
#include "tardis/sys/remove_tree.h"
#include "tardis/container/leftover_mounts.h"
#include "tardis/container/recorded_dir.h"
#include "tardis/image/image_store.h"
#include "tardis/image/lease_store.h"
#include "tardis/node/opted_in.h"
#include "tardis/periodic/request.h"
#include "tardis/state/state_store.h"

namespace tardis::node {

struct LeftoversCollected {
  std::vector<std::string> removed;   // paths
  std::vector<std::string> problems;  // one line each
};

namespace leftovers_internal {

// Entries of `dir` whose names start with `prefix` and that were last changed before
// `before_unix_nanos`. `dir` is one of the state dir's own, followed as it always was
// (an admin may have linked it elsewhere); collecting is best effort, so a listing that
// fails gives what it saw, and a missing one nothing.
inline std::vector<std::string> OldEntries(const std::string& dir, absl::string_view prefix, int64_t before_unix_nanos) {
  std::vector<std::string> old;
  (void)ForEachDirectoryEntry(
      dir,
      [&](const DirectoryEntry& entry) {
        if (!absl::StartsWith(entry.name(), prefix)) return;
        struct stat st;
        if (!entry.Stat(&st)) return;
        const int64_t changed = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        if (changed < before_unix_nanos) old.push_back(absl::StrCat(dir, "/", entry.name()));
      },
      LastLink::kFollowed);
  return old;
}

}  // namespace leftovers_internal

inline LeftoversCollected CollectLeftovers(const std::string& state_dir, const std::vector<std::string>& allowed_roots,
                                           int64_t now_unix_nanos, int64_t min_age_nanos) {
  using leftovers_internal::OldEntries;
  LeftoversCollected collected;
  // `shown`: the path as people know it (a staging image is removed through its
  // confined parent, container/recorded_dir.h).
  const auto remove = [&](const std::string& path, const std::string& shown) {
    (void)container::DetachMountsBeneath(path);
    if (absl::Status removed = RemoveTree(path); removed.ok()) {
      collected.removed.push_back(shown);
    } else {
      collected.problems.push_back(absl::StrCat("removing ", shown, ": ", removed.message()));
    }
  };
  const int64_t before = now_unix_nanos - min_age_nanos;
  for (const std::string& path : OldEntries(absl::StrCat(state_dir, "/containers"), ".forgotten.", before)) {
    remove(path, path);
  }
  for (const std::string& path : OldEntries(periodic::ScratchDir(state_dir), "", before)) remove(path, path);

  const StateStore store(state_dir);
  const std::string node = LocalNodeName(state_dir);
  for (const OptedIn& c : ListOptedIn(state_dir)) {
    absl::StatusOr<container::RecordedDir> image =
        container::PinRecordedDir(c.record.image_dir, allowed_roots, /*create=*/false);
    if (!image.ok()) {
      if (!absl::IsNotFound(image.status())) collected.problems.push_back(std::string(image.status().message()));
      continue;
    }
    const ImagePaths paths = ImagePaths::Of(image->path());
    const std::vector<std::string> staging = StagingLeftovers(paths);
    if (staging.empty() || !CheckLeaseHeld(paths.lease(), {node, c.ns, c.id}).ok()) continue;
    absl::StatusOr<int> lock = store.For(c.ns, c.id).LockForCheckpoint(/*wait=*/false);
    if (!lock.ok()) continue;  // a checkpoint at work: its staging
    for (const std::string& path : StagingLeftovers(paths)) remove(path, image->Shown(path));
    ::close(*lock);
  }
  return collected;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_LEFTOVERS_H_
