// RemoveTree(): `rm -rf` for checkpoint images and shared-filesystem work directories,
// whose contents the container wrote, so may be hostile.
//
// Every step is relative to an open directory and opens with O_NOFOLLOW: a symlink in the
// tree is removed, never followed, whatever it points at; a directory swapped for a
// symlink mid-way is not entered. The walk never crosses into another mount (a mount
// point below the path stops it with an error, leaving the mounted filesystem alone).
// Trees of any depth are removed with a bounded number of open descriptors: beyond
// kOpenLevels, ancestors are closed and found again through "..", checked to be the
// same directory (device and inode) as before. A path that does not exist is success.
// Symlinks in the path leading to the tree (its parent directories) are the caller's
// and are followed; its last component is not.
#ifndef TARDIS_SYS_REMOVE_TREE_H_
#define TARDIS_SYS_REMOVE_TREE_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/quote.h"

namespace tardis {

namespace remove_tree_internal {

inline constexpr size_t kOpenLevels = 32;

struct Level {
  std::string name;  // in its parent
  DIR* dir = nullptr;  // null while closed to save descriptors
  dev_t dev = 0;
  ino_t ino = 0;
};


// Whether the directory open at `fd` is the root of a mount, or on another filesystem.
inline bool IsMountBoundary(int fd, dev_t tree_dev, dev_t dev) {
  if (dev != tree_dev) return true;
  struct statx stx;
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// Opens the directory `name` in `parent_fd` as the next level, or says why not.
inline absl::Status OpenLevel(int parent_fd, const std::string& name, dev_t tree_dev, Level* level) {
  const int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", Quote(name)));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, absl::StrCat("stat ", Quote(name)));
  }
  if (tree_dev != 0 && IsMountBoundary(fd, tree_dev, st.st_dev)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(Quote(name), " is a mount point; not removing it"));
  }
  level->dir = ::fdopendir(fd);
  if (level->dir == nullptr) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, absl::StrCat("read ", Quote(name)));
  }
  level->name = name;
  level->dev = st.st_dev;
  level->ino = st.st_ino;
  return absl::OkStatus();
}

// Reopens the closed level `up` through ".." of the open level `below` it.
inline absl::Status Reopen(Level* up, const Level& below) {
  const int fd = ::openat(::dirfd(below.dir), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("reopen the parent of ", Quote(below.name)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
    ::close(fd);
    return absl::AbortedError(absl::StrCat("the parent of ", Quote(below.name), " moved while removing"));
  }
  up->dir = ::fdopendir(fd);
  if (up->dir == nullptr) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, "fdopendir");
  }
  return absl::OkStatus();
}

inline void CloseAll(std::vector<Level>* levels) {
  for (Level& level : *levels) {
    if (level.dir != nullptr) ::closedir(level.dir);
    level.dir = nullptr;
  }
}

// Removes the directory `name` in `parent_fd` and everything below it.
inline absl::Status RemoveDirectory(int parent_fd, const std::string& name) {
  std::vector<Level> levels(1);
  if (absl::Status opened = OpenLevel(parent_fd, name, 0, &levels[0]); !opened.ok()) return opened;
  // The tree's own root must not be a mount point either.
  if (IsMountBoundary(::dirfd(levels[0].dir), levels[0].dev, levels[0].dev)) {
    CloseAll(&levels);
    return absl::FailedPreconditionError(absl::StrCat(Quote(name), " is a mount point; not removing it"));
  }
  const dev_t tree_dev = levels[0].dev;
  absl::Status status;
  while (status.ok() && !levels.empty()) {
    Level& top = levels.back();
    errno = 0;
    const struct dirent* entry = ::readdir(top.dir);
    if (entry == nullptr) {
      if (errno != 0) {
        status = ErrnoStatus(errno, absl::StrCat("read ", Quote(top.name)));
        break;
      }
      // Empty now: remove it from its parent, reopening that first if it was closed.
      int up_fd = parent_fd;
      if (levels.size() > 1) {
        Level& up = levels[levels.size() - 2];
        if (up.dir == nullptr) status = Reopen(&up, top);
        if (!status.ok()) break;
        up_fd = ::dirfd(up.dir);
      }
      ::closedir(top.dir);
      top.dir = nullptr;
      const std::string done = top.name;
      levels.pop_back();
      if (::unlinkat(up_fd, done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        status = ErrnoStatus(errno, absl::StrCat("remove directory ", Quote(done)));
      }
      continue;
    }
    const std::string child = entry->d_name;
    if (child == "." || child == "..") continue;
    const int fd = ::dirfd(top.dir);
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        status = ErrnoStatus(errno, absl::StrCat("stat ", Quote(child)));
        break;
      }
      is_dir = S_ISDIR(st.st_mode);
    }
    if (!is_dir) {
      if (::unlinkat(fd, child.c_str(), 0) == 0 || errno == ENOENT) continue;
      if (errno != EISDIR) {
        status = ErrnoStatus(errno, absl::StrCat("remove ", Quote(child)));
        break;
      }
    }
    Level next;
    status = OpenLevel(fd, child, tree_dev, &next);
    if (!status.ok()) {
      if (absl::IsNotFound(status)) status = absl::OkStatus();
      continue;
    }
    levels.push_back(next);
    if (levels.size() > kOpenLevels) {
      for (size_t i = 0; i + 2 < levels.size(); ++i) {
        if (levels[i].dir == nullptr) continue;
        ::closedir(levels[i].dir);
        levels[i].dir = nullptr;
        break;
      }
    }
  }
  CloseAll(&levels);
  return status;
}

}  // namespace remove_tree_internal

// Removes `path` and, if it is a directory, everything below it (see the header comment).
inline absl::Status RemoveTree(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : trimmed.substr(0, slash);
  const std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("refusing to remove ", Quote(path)));
  }
  const int parent_fd = ::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, absl::StrCat("open ", parent));
  }
  absl::Status status;
  struct stat st;
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) status = ErrnoStatus(errno, absl::StrCat("stat ", path));
  } else if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      status = ErrnoStatus(errno, absl::StrCat("remove ", path));
    }
  } else {
    status = remove_tree_internal::RemoveDirectory(parent_fd, name);
    if (!status.ok()) status = absl::Status(status.code(), absl::StrCat("remove ", path, ": ", status.message()));
  }
  ::close(parent_fd);
  return status;
}

}  // namespace tardis

#endif  // TARDIS_SYS_REMOVE_TREE_H_
