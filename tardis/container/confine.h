// ConfineToAllowedRoots(): the one gate a container-supplied host path passes before
// Tardis reads, writes or deletes anything there (SPEC.md "Opting in": a host path is
// used only if it resolves, without following symlinks out, inside a root the host
// administrator allowed).
//
// The roots are the administrator's (tardis.conf `allowed_roots`) and trusted, so they
// are resolved with realpath(). Everything below a root may have been shaped by a
// container's author (through an earlier checkpoint, or a shared filesystem another node
// writes), so the rest is resolved by the kernel with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS) from a descriptor of the root: a symlink that would leave the
// root, an absolute symlink (even one pointing back inside) and /proc magic links are all
// refused, with no window between checking and resolving. Missing directories are made
// one at a time with mkdirat() in the descriptor of their already-resolved parent, so a
// symlink planted anywhere on the way is never written through.
//
// The result is the directory the kernel resolved, held open, and its path read back
// from /proc/self/fd. Work done through the open directory (OpenConfined) stays in it
// whatever is renamed or swapped later; the bare path (ConfineToAllowedRoots) is
// checked as of this call only. Either way, what is done inside it afterwards
// (unpacking, deleting a work directory a container wrote into) must itself not
// follow symlinks.
#ifndef TARDIS_CONTAINER_CONFINE_H_
#define TARDIS_CONTAINER_CONFINE_H_

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/container/path.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/pinned_directory.h"
#include "tardis/sys/quote.h"
#include "tardis/sys/unique_fd.h"

namespace tardis::container {

namespace confine_internal {

using ::tardis::UniqueFd;

// A directory `path` below `dir`, resolved by the kernel without leaving `dir`.
inline UniqueFd OpenDirectoryBeneath(int dir, const std::string& path) {
  struct open_how how = {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  // EAGAIN: a concurrent rename made the kernel unsure ".." stayed inside; it asks for
  // a retry.
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || (errno == EAGAIN && attempt < 16)) continue;
    return UniqueFd();
  }
}

inline absl::StatusOr<std::string> RealPathOfFd(int fd) {
  const std::string link = absl::StrCat("/proc/self/fd/", fd);
  char buffer[PATH_MAX + 1];
  const ssize_t n = ::readlink(link.c_str(), buffer, sizeof buffer);
  if (n < 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("readlink ", link));
  }
  if (static_cast<size_t>(n) >= sizeof buffer) {
    return absl::OutOfRangeError(absl::StrCat("readlink ", link, ": path too long"));
  }
  return std::string(buffer, static_cast<size_t>(n));
}

// Why resolving failed, in the words an operator needs.
inline absl::Status ResolveError(int error, absl::string_view candidate, absl::string_view root,
                                 absl::string_view at) {
  const std::string where = absl::StrCat("confine ", Quote(candidate), " to ", Quote(root), ": ");
  switch (error) {
    case EXDEV:
      return absl::PermissionDeniedError(absl::StrCat(
          where, Quote(at), " leads outside the root (a symlink out of it, or an absolute one)"));
    case ELOOP:
      return absl::PermissionDeniedError(
          absl::StrCat(where, Quote(at), " has too many symlinks or a /proc magic link"));
    case ENOTDIR:
      return absl::FailedPreconditionError(
          absl::StrCat(where, Quote(at), " is not a directory (or runs through a non-directory)"));
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(where, Quote(at), " does not exist"));
    case ENOSYS:
      return absl::UnimplementedError(
          absl::StrCat(where, "openat2() is not available, refusing to resolve unconfined"));
    default:
      return ErrnoStatus(error, absl::StrCat(where, "resolve ", Quote(at)));
  }
}

// `relative` (a normalized path below the root, "a/b/c") resolved from `root_fd`,
// creating missing directories when `create` is set.
inline absl::StatusOr<UniqueFd> ResolveBelow(int root_fd, const std::string& relative, bool create,
                                             absl::string_view candidate, absl::string_view root) {
  UniqueFd whole = OpenDirectoryBeneath(root_fd, relative);
  if (whole.valid()) return whole;
  if (!create || errno != ENOENT) return ResolveError(errno, candidate, root, relative);

  // Walk from the root, making each missing directory in its resolved parent.
  UniqueFd parent(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!parent.valid()) return ErrnoStatus(errno, "dup root descriptor");
  std::string prefix;
  for (absl::string_view component : absl::StrSplit(relative, '/')) {
    const std::string name(component);
    prefix = prefix.empty() ? name : absl::StrCat(prefix, "/", name);
    UniqueFd next = OpenDirectoryBeneath(root_fd, prefix);
    if (!next.valid() && errno == ENOENT) {
      // mkdirat never follows `name` itself: a dangling symlink there gives EEXIST, and
      // the resolution below then refuses or fails on it.
      if (::mkdirat(parent.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        const int error = errno;
        return ErrnoStatus(error, absl::StrCat("confine ", Quote(candidate), ": mkdir ",
                                               Quote(prefix), " below ", Quote(root)));
      }
      next = OpenDirectoryBeneath(root_fd, prefix);
    }
    if (!next.valid()) return ResolveError(errno, candidate, root, prefix);
    parent = std::move(next);
  }
  return parent;
}

struct Root {
  std::string lexical;  // as configured, normalized (empty when it has "..")
  std::string real;     // realpath()
};

inline std::vector<Root> ExistingRoots(const std::vector<std::string>& allowed_roots) {
  std::vector<Root> roots;
  for (const std::string& configured : allowed_roots) {
    if (configured.empty() || configured.front() != '/') continue;
    char* real = ::realpath(configured.c_str(), nullptr);
    if (real == nullptr) continue;  // a missing root matches nothing
    Root root;
    root.real = real;
    std::free(real);
    if (absl::StatusOr<std::string> lexical = NormalizeAbsolutePath(configured); lexical.ok()) {
      root.lexical = *lexical;
    }
    roots.push_back(std::move(root));
  }
  return roots;
}

// The configured or real form of `root` that `candidate` lies strictly below, or "".
inline std::string ContainingForm(const Root& root, absl::string_view candidate) {
  for (const std::string& form : {root.lexical, root.real}) {
    if (!form.empty() && candidate != form && PathIsAtOrBelow(candidate, form)) return form;
  }
  return "";
}

}  // namespace confine_internal

// A directory confined to the allowed roots: held open (so that later work beneath it
// is done in the directory that was checked, whatever happens to the names on the way),
// and its real path as resolved.
struct ConfinedDirectory {
  PinnedDirectory pinned;
  std::string real;
};

// Directory `candidate` if it resolves strictly below one of `allowed_roots` (creating
// missing directories, mode 0755 minus umask, when `create`); otherwise an error naming
// the candidate and the reason (NotFound when it is simply missing). A root itself is
// never returned: an image must lie below a root.
inline absl::StatusOr<ConfinedDirectory> OpenConfined(const std::string& candidate,
                                                      const std::vector<std::string>& allowed_roots, bool create) {
  using namespace confine_internal;
  absl::StatusOr<std::string> normalized = NormalizeAbsolutePath(candidate);
  if (!normalized.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("confine ", Quote(candidate), ": ", normalized.status().message()));
  }

  struct Match {
    const Root* root;
    std::string form;
  };
  const std::vector<Root> roots = ExistingRoots(allowed_roots);
  std::vector<Match> matches;
  bool is_a_root = false;
  for (const Root& root : roots) {
    if (*normalized == root.lexical || *normalized == root.real) is_a_root = true;
    std::string form = ContainingForm(root, *normalized);
    if (!form.empty()) matches.push_back({&root, std::move(form)});
  }
  if (matches.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("confine ", Quote(candidate), ": ",
                     is_a_root ? "is an allowed root itself; an image must lie below one"
                               : absl::StrCat("not below any existing allowed root (",
                                              absl::StrJoin(allowed_roots, ":"), ")")));
  }
  // The most specific root first; a wider one may still accept what it refuses (a
  // relative symlink from one allowed root into another).
  std::stable_sort(matches.begin(), matches.end(),
                   [](const Match& a, const Match& b) { return a.form.size() > b.form.size(); });

  absl::Status first_error;
  for (const Match& match : matches) {
    const std::string& real_root = match.root->real;
    const auto attempt = [&]() -> absl::StatusOr<ConfinedDirectory> {
      UniqueFd root_fd(::open(real_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!root_fd.valid()) {
        const int error = errno;
        return ErrnoStatus(error, absl::StrCat("open root ", Quote(real_root)));
      }
      absl::StatusOr<UniqueFd> resolved = ResolveBelow(
          root_fd.get(), PathBelow(*normalized, match.form), create, candidate, real_root);
      if (!resolved.ok()) return resolved.status();
      absl::StatusOr<std::string> real = RealPathOfFd(resolved->get());
      if (!real.ok()) return real.status();
      if (*real == real_root || !PathIsAtOrBelow(*real, real_root)) {
        return absl::PermissionDeniedError(absl::StrCat("confine ", Quote(candidate),
                                                        ": resolves to ", Quote(*real),
                                                        ", not below ", Quote(real_root)));
      }
      return ConfinedDirectory{PinnedDirectory(*std::move(resolved)), *std::move(real)};
    };
    absl::StatusOr<ConfinedDirectory> confined = attempt();
    if (confined.ok()) return confined;
    if (first_error.ok()) first_error = confined.status();
  }
  return first_error;
}

// The real path of what OpenConfined() confines.
inline absl::StatusOr<std::string> ConfineToAllowedRoots(const std::string& candidate,
                                                         const std::vector<std::string>& allowed_roots, bool create) {
  absl::StatusOr<ConfinedDirectory> confined = OpenConfined(candidate, allowed_roots, create);
  if (!confined.ok()) return confined.status();
  return std::move(confined->real);
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_CONFINE_H_
