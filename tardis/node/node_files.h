// File operations install, uninstall and `tardisctl log` need beyond tardis/sys/files.h:
// reading a file that may be absent, replacing one while keeping its mode and owner
// (containerd's config must come back exactly as it was), copying binaries, and telling
// what kind of thing is at a path without following a symlink.
#ifndef TARDIS_NODE_NODE_FILES_H_
#define TARDIS_NODE_NODE_FILES_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis::node {

inline constexpr size_t kMaxEditedFileBytes = 4 << 20;

// The file's content, or nullopt when nothing is there. A symlink is refused: install
// must never edit (or let uninstall restore) something other than what the path names.
inline absl::StatusOr<std::optional<std::string>> ReadIfExists(const std::string& path,
                                                               size_t limit = kMaxEditedFileBytes) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is a symlink; name the file it points to instead"));
  }
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  absl::StatusOr<std::string> content = ReadSmallFile(path, limit);
  if (!content.ok()) return content.status();
  return std::optional<std::string>(*std::move(content));
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

inline std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Replaces (or creates) `path` atomically with `content`, mode and owner as given.
inline absl::Status ReplaceFile(const std::string& path, absl::string_view content, mode_t mode, uid_t uid,
                                gid_t gid) {
  const std::string temp = absl::StrCat(DirName(path), "/.", BaseName(path), ".tardisctl.", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", temp));
  absl::Status status = WriteAll(fd, content, temp);
  if (status.ok() && ::fchown(fd, uid, gid) != 0) status = ErrnoStatus(errno, absl::StrCat("chown ", temp));
  if (status.ok() && ::fchmod(fd, mode) != 0) status = ErrnoStatus(errno, absl::StrCat("chmod ", temp));
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus(errno, absl::StrCat("fsync ", temp));
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("replace ", path));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  FsyncDirectoryOf(path);
  return absl::OkStatus();
}

// Replaces an existing file keeping its mode and owner; a new one gets `new_mode`, root's.
inline absl::Status ReplaceFileKeepingMode(const std::string& path, absl::string_view content, mode_t new_mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return ReplaceFile(path, content, st.st_mode & 07777, st.st_uid, st.st_gid);
  return ReplaceFile(path, content, new_mode, ::geteuid(), ::getegid());
}

// Copies a regular file to `to` (replacing it atomically) with `mode`.
inline absl::Status CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  absl::StatusOr<std::string> content = ReadSmallFile(from, 512u << 20);
  if (!content.ok()) return content.status();
  return ReplaceFile(to, *content, mode, ::geteuid(), ::getegid());
}

inline absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, absl::StrCat("remove ", path));
  return absl::OkStatus();
}

// mkdir -p that reports the directories it made, outermost first.
inline absl::Status MakeDirectoriesNoting(const std::string& path, std::vector<std::string>* made) {
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    const std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      made->push_back(prefix);
      continue;
    }
    if (errno == EEXIST) continue;
    return ErrnoStatus(errno, absl::StrCat("mkdir ", prefix));
  }
  if (!IsDirectory(path)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  return absl::OkStatus();
}

// The target of a symlink, or nullopt when `path` is not one.
inline std::optional<std::string> SymlinkTarget(const std::string& path) {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  if (n < 0 || static_cast<size_t>(n) >= sizeof buffer) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

// The running program's own path (/proc/self/exe), or "" when it cannot be read.
inline std::string SelfExecutable() { return SymlinkTarget("/proc/self/exe").value_or(""); }

}  // namespace tardis::node

#endif  // TARDIS_NODE_NODE_FILES_H_
