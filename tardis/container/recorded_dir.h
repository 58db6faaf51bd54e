// PinRecordedDir(): a directory create recorded (a container's image directory, its
// shared-filesystem work dir) as it resolves now, confined again.
//
// The record names the directory as create confined it, but the storage holding it is
// writable by others (a shared filesystem, another node's root): a directory on the way
// may since have been swapped for a symlink. So every later use (checkpoint's staging
// and publish, restore's read, delete, the lease, collecting leftovers) first resolves
// the parent again below the allowed roots, refuses it if it is no longer the directory
// recorded, and then works only through the open parent (sys/pinned_directory.h), so a
// swap after this check changes nothing either. The recorded directory's own name is
// looked up in the parent by whoever uses it, without following a symlink there.
#ifndef TARDIS_CONTAINER_RECORDED_DIR_H_
#define TARDIS_CONTAINER_RECORDED_DIR_H_

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/container/confine.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

class RecordedDir {
 public:
  RecordedDir(ConfinedDirectory parent, std::string name) : parent_(std::move(parent)), name_(std::move(name)) {}

  // For this process's own calls: the open parent, and the directory in it.
  std::string parent_path() const { return parent_.pinned.path(); }
  const std::string& name() const { return name_; }
  std::string path() const { return absl::StrCat(parent_path(), "/", name_); }

  // Real paths, for logs and for what is shown to people: of the directory, and of any
  // path below the open parent (a previous image, a staging one).
  std::string shown() const { return Shown(path()); }
  std::string Shown(const std::string& below_parent) const {
    const std::string pinned = parent_path();
    if (!absl::StartsWith(below_parent, pinned)) return below_parent;
    return absl::StrCat(parent_.real, absl::string_view(below_parent).substr(pinned.size()));
  }

 private:
  ConfinedDirectory parent_;
  std::string name_;
};

// `recorded` (<parent>/<name>, as create recorded it), its parent confined to
// `allowed_roots` again (made when `create` and missing) and still the directory
// recorded.
inline absl::StatusOr<RecordedDir> PinRecordedDir(const std::string& recorded,
                                                  const std::vector<std::string>& allowed_roots, bool create) {
  const size_t slash = recorded.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == recorded.size()) {
    return absl::InvalidArgumentError(absl::StrCat("recorded directory ", Quote(recorded), " has no parent"));
  }
  const std::string parent_path = recorded.substr(0, slash);
  absl::StatusOr<ConfinedDirectory> parent = OpenConfined(parent_path, allowed_roots, create);
  if (!parent.ok()) return parent.status();
  if (parent->real != parent_path) {
    return absl::PermissionDeniedError(absl::StrCat(
        Quote(recorded), ": its parent now resolves to ", Quote(parent->real),
        ", not the directory recorded at create; refusing to use it"));
  }
  return RecordedDir(*std::move(parent), recorded.substr(slash + 1));
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_RECORDED_DIR_H_
