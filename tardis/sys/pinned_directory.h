// PinnedDirectory: a directory held open and named through its descriptor
// (/proc/self/fd/N), so that the path-based code below it keeps working on the very
// directory that was opened. Renaming or replacing the names that led to it (a
// directory swapped for a symlink on shared storage, a container's state forgotten
// and made anew under the same id) changes nothing for paths below path(): the kernel
// starts their lookup at the open directory. Only the components after it are looked
// up by name, so code below still opens its last component without following symlinks.
#ifndef TARDIS_SYS_PINNED_DIRECTORY_H_
#define TARDIS_SYS_PINNED_DIRECTORY_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/unique_fd.h"

namespace tardis {

class PinnedDirectory {
 public:
  // Takes an O_PATH descriptor of a directory (its resolution is the caller's concern).
  explicit PinnedDirectory(UniqueFd fd) : fd_(std::move(fd)) {}

  // `path` as it resolves now, its last component not followed.
  static absl::StatusOr<PinnedDirectory> Open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("open ", path));
    return PinnedDirectory(std::move(fd));
  }

  int fd() const { return fd_.get(); }

  // The directory, for this process's own path-based calls.
  std::string path() const { return absl::StrCat("/proc/self/fd/", fd_.get()); }

  // `path` (path() or below it) as another process started by this one (runc, CRIU)
  // names it: valid while this process lives and keeps the descriptor, as it does until
  // it has waited for the child. Any other path is returned unchanged.
  static std::string ForChildren(const std::string& path) {
    constexpr absl::string_view kSelf = "/proc/self/";
    if (!absl::StartsWith(path, kSelf)) return path;
    return absl::StrCat("/proc/", ::getpid(), "/", absl::string_view(path).substr(kSelf.size()));
  }

 private:
  UniqueFd fd_;
};

}  // namespace tardis

#endif  // TARDIS_SYS_PINNED_DIRECTORY_H_
