// Displacing an upperdir's contents: a restore into a writable layer that already holds
// files (Docker's `docker start` of the same container, a create retried after a
// crashed restore) must end with exactly the saved files, and a rollback with exactly
// what was there before.
//
// So everything in the upperdir is moved, by rename, into a new directory beside it
// (same filesystem: one rename per top-level entry, nothing copied), the image's files
// are unpacked into the now empty upperdir, and afterwards the displaced entries are
// either dropped (the restore worked) or moved back (it did not, after the unpacked
// files were removed). The upperdir directory itself, with its overlay xattrs, stays.
// What is replaced: everything. What is refused: nothing. The displaced directory lives
// inside the snapshot's own directory (containerd's snapshots/<n>/, Docker's
// overlay2/<id>/), so removing the snapshot removes whatever a crash left there.
#ifndef TARDIS_ARCHIVE_DISPLACE_H_
#define TARDIS_ARCHIVE_DISPLACE_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/directory_entries.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/remove_tree.h"

namespace tardis::archive {

namespace displace_internal {

inline absl::StatusOr<std::vector<std::string>> EntriesOf(const std::string& dir) {
  std::vector<std::string> names;
  const absl::Status listed =
      ForEachDirectoryEntry(dir, [&](const DirectoryEntry& entry) { names.emplace_back(entry.name()); });
  if (!listed.ok()) return listed;
  return names;
}

// Renames every entry of `from` into `to`; on failure, what moved is moved back.
inline absl::Status MoveEntries(const std::string& from, const std::string& to) {
  absl::StatusOr<std::vector<std::string>> names = EntriesOf(from);
  if (!names.ok()) return names.status();
  std::vector<std::string> moved;
  for (const std::string& name : *names) {
    const std::string source = absl::StrCat(from, "/", name);
    const std::string target = absl::StrCat(to, "/", name);
    if (::renameat2(AT_FDCWD, source.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
      const absl::Status failed = ErrnoStatus(errno, absl::StrCat("move ", source, " to ", to));
      for (const std::string& back : moved) {
        ::renameat2(AT_FDCWD, absl::StrCat(to, "/", back).c_str(), AT_FDCWD, absl::StrCat(from, "/", back).c_str(),
                    RENAME_NOREPLACE);
      }
      return failed;
    }
    moved.push_back(name);
  }
  return absl::OkStatus();
}

}  // namespace displace_internal

// Whether `upperdir` holds anything (an error reads as "not empty": the careful path).
inline bool UpperdirHasEntries(const std::string& upperdir) {
  const absl::StatusOr<bool> any = AnyDirectoryEntry(upperdir, [](const DirectoryEntry&) { return true; });
  return !any.ok() || *any;
}

// Moves everything in `upperdir` into a new directory beside it and returns that
// directory. The upperdir is then empty.
inline absl::StatusOr<std::string> DisplaceEntries(const std::string& upperdir) {
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::string parent = upperdir.substr(0, upperdir.rfind('/'));
  const std::string displaced =
      absl::StrCat(parent, "/.tardis-displaced.", ::getpid(), ".", now.tv_sec * 1000000000LL + now.tv_nsec);
  if (::mkdir(displaced.c_str(), 0700) != 0) return ErrnoStatus(errno, absl::StrCat("mkdir ", displaced));
  if (absl::Status moved = displace_internal::MoveEntries(upperdir, displaced); !moved.ok()) {
    ::rmdir(displaced.c_str());
    return moved;
  }
  return displaced;
}

// Puts displaced entries back into `upperdir` (whose unpacked files were removed first)
// and removes the then empty displaced directory.
inline absl::Status PutBackDisplaced(const std::string& displaced, const std::string& upperdir) {
  if (absl::Status moved = displace_internal::MoveEntries(displaced, upperdir); !moved.ok()) return moved;
  if (::rmdir(displaced.c_str()) != 0) return ErrnoStatus(errno, absl::StrCat("rmdir ", displaced));
  return absl::OkStatus();
}

// The restore kept the image's files: what they replaced goes.
inline absl::Status DropDisplaced(const std::string& displaced) { return RemoveTree(displaced); }

}  // namespace tardis::archive

namespace tardis {
using archive::DisplaceEntries;
using archive::DropDisplaced;
using archive::PutBackDisplaced;
using archive::UpperdirHasEntries;
}  // namespace tardis

#endif  // TARDIS_ARCHIVE_DISPLACE_H_
