// Small-file I/O that state and configuration rely on: bounded reads, crash-safe
// replacement, and directory creation.
#ifndef TARDIS_SYS_FILES_H_
#define TARDIS_SYS_FILES_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/errno_status.h"

namespace tardis {

// The whole file, if it is at most `limit` bytes.
inline absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string content;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > limit) {
      ::close(fd);
      return absl::OutOfRangeError(absl::StrCat(path, " is larger than ", limit, " bytes"));
    }
  }
  ::close(fd);
  return content;
}

inline absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", what));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Makes a directory's entries (creations, renames, removals) durable.
inline void FsyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// The same for the directory holding `path`.
inline void FsyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  FsyncDirectory(slash == 0 ? "/" : slash == std::string::npos ? "." : path.substr(0, slash));
}

// Replaces `path` with `content` so that a reader, or a crash at any moment, sees
// either the old file or the new one: write a sibling, fsync it, rename it over.
inline absl::Status WriteFileAtomically(const std::string& path, absl::string_view content,
                                        mode_t mode = 0644) {
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", temp));
  absl::Status status = WriteAll(fd, content, temp);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus(errno, absl::StrCat("fsync ", temp));
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("rename to ", path));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  FsyncDirectoryOf(path);
  return absl::OkStatus();
}

// mkdir -p. Existing directories are fine; anything else in the way is an error.
inline absl::Status MakeDirectories(const std::string& path, mode_t mode = 0755) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    const std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), mode) == 0 || errno == EEXIST) continue;
    return ErrnoStatus(errno, absl::StrCat("mkdir ", prefix));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", path));
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  return absl::OkStatus();
}

}  // namespace tardis

#endif  // TARDIS_SYS_FILES_H_
