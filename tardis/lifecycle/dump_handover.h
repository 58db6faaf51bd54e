// HandDumpToCaller(): what a checkpoint does when CRIU's dump succeeded but Tardis could
// not archive the upperdir beside it (the two run at once, see checkpoint.h).
//
// The container is stopped by then and Tardis has no image to publish, but CRIU's dump
// is whole. Plain runc would have left exactly those files in the caller's
// --image-path; putting them there gives containerd its own checkpoint, as it would
// have had without Tardis, and Tardis's previous image stays as it was.
#ifndef TARDIS_LIFECYCLE_DUMP_HANDOVER_H_
#define TARDIS_LIFECYCLE_DUMP_HANDOVER_H_

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/runc/checkpoint_argv.h"
#include "tardis/runc/invocation.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis {

// Moves the regular files of `criu_dir` (CRIU writes no others) into the directory plain
// runc would have used for `checkpoint`, and returns that directory.
inline absl::StatusOr<std::string> HandDumpToCaller(const std::string& criu_dir,
                                                    const runc::Invocation& checkpoint) {
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return ErrnoStatus(errno, "getcwd");
  const std::string placed = runc::CallersImagePath(checkpoint, cwd);
  if (absl::Status made = MakeDirectories(placed, 0700); !made.ok()) return made;

  std::vector<std::string> names;
  DIR* dir = ::opendir(criu_dir.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, absl::StrCat("open ", criu_dir));
  while (const struct dirent* entry = ::readdir(dir)) {
    struct stat st;
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      names.emplace_back(entry->d_name);
    }
  }
  ::closedir(dir);
  for (const std::string& name : names) {
    absl::Status moved = MoveFile(absl::StrCat(criu_dir, "/", name), absl::StrCat(placed, "/", name));
    if (!moved.ok()) return moved;
  }
  return placed;
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_DUMP_HANDOVER_H_
