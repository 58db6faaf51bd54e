// PinnedDirectory: a directory held open and named through its descriptor
// (/proc/self/fd/N), so that the path-based code below it keeps working on the very
// directory that was opened. Renaming or replacing the names that led to it (a
// directory swapped for a symlink on shared storage, a container's state forgotten
// and made anew under the same id) changes nothing for paths below path(): the kernel
// starts their lookup at the open directory. Only the components after it are looked
// up by name, so code below still opens its last component without following symlinks.
// A child process is given the same path, with the descriptor made inheritable
// (ForChildren).
#ifndef TARDIS_SYS_PINNED_DIRECTORY_H_
#define TARDIS_SYS_PINNED_DIRECTORY_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
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

  // `path` (path() of a PinnedDirectory, or below it) for a process this one starts
  // (runc, and the CRIU it runs): the descriptor it names is made inheritable, so the
  // child resolves /proc/self/fd/N in its own descriptor table, to the same directory,
  // for as long as it runs. (A path through this process's pid would stop resolving, or
  // come to name another process's descriptor, once a handler killed mid-checkpoint is
  // gone while runc finishes.) The descriptor closes with its PinnedDirectory, before
  // this process execs anything. Any other path is returned unchanged.
  static std::string ForChildren(const std::string& path) {
    constexpr absl::string_view kPrefix = "/proc/self/fd/";
    absl::string_view rest = path;
    if (!absl::ConsumePrefix(&rest, kPrefix)) return path;
    int fd = 0;
    if (!absl::SimpleAtoi(rest.substr(0, rest.find('/')), &fd) || fd < 0) return path;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) (void)::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    return path;
  }

 private:
  UniqueFd fd_;
};

}  // namespace tardis

#endif  // TARDIS_SYS_PINNED_DIRECTORY_H_
