// File I/O that state, configuration and install rely on: bounded reads, crash-safe
// replacement (one atomic writer), moves, directory creation, and telling what is at a
// path without following a symlink.
#ifndef TARDIS_SYS_FILES_H_
#define TARDIS_SYS_FILES_H_

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/functional/function_ref.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/errno_status.h"

namespace tardis {

// Reads the open file `fd` to its end in `chunk_bytes` pieces, handing each to
// `on_chunk`; a non-OK status from it stops the read and is returned.
inline absl::Status ReadInChunks(int fd, size_t chunk_bytes, absl::string_view what,
                                 absl::FunctionRef<absl::Status(absl::string_view)> on_chunk) {
  std::unique_ptr<char[]> buffer(new char[chunk_bytes]);
  while (true) {
    const ssize_t n = ::read(fd, buffer.get(), chunk_bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("read ", what));
    if (n == 0) return absl::OkStatus();
    if (absl::Status status = on_chunk(absl::string_view(buffer.get(), static_cast<size_t>(n)));
        !status.ok()) {
      return status;
    }
  }
}

// The whole file, if it is at most `limit` bytes.
inline absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string content;
  const absl::Status read = ReadInChunks(fd, 8192, path, [&](absl::string_view chunk) {
    content.append(chunk.data(), chunk.size());
    if (content.size() > limit) {
      return absl::OutOfRangeError(absl::StrCat(path, " is larger than ", limit, " bytes"));
    }
    return absl::OkStatus();
  });
  ::close(fd);
  if (!read.ok()) return read;
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

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The directory part of `path`, as dirname(1) gives it for the paths Tardis uses.
inline std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

inline std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A copy of the regular file `from` at `to` (which must not exist); nothing is left at
// `to` when it fails.
inline absl::Status CopyFile(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return ErrnoStatus(errno, absl::StrCat("open ", from));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (out < 0) {
    const int error = errno;
    ::close(in);
    return ErrnoStatus(error, absl::StrCat("create ", to));
  }
  absl::Status copied =
      ReadInChunks(in, 1 << 20, from, [&](absl::string_view chunk) { return WriteAll(out, chunk, to); });
  ::close(in);
  if (::close(out) != 0 && copied.ok()) copied = ErrnoStatus(errno, absl::StrCat("close ", to));
  if (!copied.ok()) ::unlink(to.c_str());
  return copied;
}

// Moves the regular file or symlink `from` to `to`, which must not exist (a move never
// replaces: what is at `to` may be the only copy of something), across filesystems too:
// there by copying it (a symlink as a symlink, a file with its mode and owner), then
// removing the original.
inline absl::Status MoveFile(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return absl::OkStatus();
  if (errno != EXDEV) return ErrnoStatus(errno, absl::StrCat("move ", from, " to ", to));
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", from));
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    const ssize_t n = ::readlink(from.c_str(), target, sizeof target - 1);
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("read the link ", from));
    target[n] = '\0';
    if (::symlink(target, to.c_str()) != 0) return ErrnoStatus(errno, absl::StrCat("symlink ", to));
  } else if (S_ISREG(st.st_mode)) {
    if (absl::Status copied = CopyFile(from, to); !copied.ok()) return copied;
    const bool ours = st.st_uid == ::geteuid() && st.st_gid == ::getegid();
    if ((!ours && ::lchown(to.c_str(), st.st_uid, st.st_gid) != 0) || ::chmod(to.c_str(), st.st_mode & 07777) != 0) {
      const absl::Status status = ErrnoStatus(errno, absl::StrCat("keep the mode and owner of ", to));
      ::unlink(to.c_str());
      return status;
    }
  } else {
    return absl::FailedPreconditionError(absl::StrCat(from, " is neither a file nor a symlink"));
  }
  if (::unlink(from.c_str()) != 0) return ErrnoStatus(errno, absl::StrCat("remove ", from));
  return absl::OkStatus();
}

// Makes a file's contents durable (written earlier, by whoever).
inline absl::Status SyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) return ErrnoStatus(error, absl::StrCat("fsync ", path));
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
inline void FsyncDirectoryOf(const std::string& path) { FsyncDirectory(DirName(path)); }

// What a write must outlive. A flush to disk costs a fraction of a millisecond to
// several, so it is paid only where it protects something.
enum class Durability {
  // The writer's crash: the page cache keeps what was renamed into place. Enough for
  // what lives only as long as the node's containers (state_dir, leases): a power loss
  // ends them all.
  kProcessCrash,
  // The machine's crash too: the file and its directory are flushed (fsync).
  kPowerLoss,
};

// Who owns a file and how it may be used, set exactly (no umask): for a file that must
// come back as it was, like containerd's config.
struct FileAttributes {
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

namespace files_internal {

// The one atomic writer. The sibling is created O_EXCL: a write never lands in an inode
// that was already there (a symlink, or a hard link to some other file, left where the
// sibling goes) makes the write fail instead. Only what a writer of the same pid killed
// mid-write leaves (pids are reused), a regular file with no other link, is removed
// and the sibling created afresh.
inline absl::Status ReplaceAtomically(const std::string& path, absl::string_view content, mode_t create_mode,
                                      const FileAttributes* exact, Durability durability) {
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  const auto create = [&] { return ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, create_mode); };
  int fd = create();
  if (struct stat st; fd < 0 && errno == EEXIST && ::lstat(temp.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                      st.st_nlink == 1 && ::unlink(temp.c_str()) == 0) {
    fd = create();
  }
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", temp));
  const bool sync = durability == Durability::kPowerLoss;
  absl::Status status = WriteAll(fd, content, temp);
  if (exact != nullptr) {
    if (status.ok() && ::fchown(fd, exact->uid, exact->gid) != 0) {
      status = ErrnoStatus(errno, absl::StrCat("chown ", temp));
    }
    if (status.ok() && ::fchmod(fd, exact->mode) != 0) status = ErrnoStatus(errno, absl::StrCat("chmod ", temp));
  }
  if (status.ok() && sync && ::fsync(fd) != 0) status = ErrnoStatus(errno, absl::StrCat("fsync ", temp));
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("rename to ", path));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (sync) FsyncDirectoryOf(path);
  return absl::OkStatus();
}

}  // namespace files_internal

// Replaces `path` with `content` so that a reader, or a crash at any moment, sees
// either the old file or the new one: write a sibling, fsync it (kPowerLoss), rename it
// over. The new file gets `mode` less the umask, and belongs to us.
inline absl::Status WriteFileAtomically(const std::string& path, absl::string_view content,
                                        mode_t mode = 0644, Durability durability = Durability::kPowerLoss) {
  return files_internal::ReplaceAtomically(path, content, mode, nullptr, durability);
}

// The same, with mode and owner exactly as given.
inline absl::Status ReplaceFile(const std::string& path, absl::string_view content, mode_t mode, uid_t uid,
                                gid_t gid) {
  const FileAttributes exact{mode, uid, gid};
  return files_internal::ReplaceAtomically(path, content, 0600, &exact, Durability::kPowerLoss);
}

// Replaces an existing file keeping its mode and owner; a new one gets `new_mode`, ours.
inline absl::Status ReplaceFileKeepingMode(const std::string& path, absl::string_view content, mode_t new_mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return ReplaceFile(path, content, st.st_mode & 07777, st.st_uid, st.st_gid);
  return ReplaceFile(path, content, new_mode, ::geteuid(), ::getegid());
}

// Copies a regular file to `to`, replacing it atomically, with `mode` (unlike
// CopyFile(from, to), which never replaces).
inline absl::Status CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  absl::StatusOr<std::string> content = ReadSmallFile(from, 512u << 20);
  if (!content.ok()) return content.status();
  return ReplaceFile(to, *content, mode, ::geteuid(), ::getegid());
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

// mkdir -p that reports the directories it made, outermost first (so that an undo
// removes exactly those, innermost first).
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

inline absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, absl::StrCat("remove ", path));
  return absl::OkStatus();
}

// The target of a symlink, or nullopt when `path` is not one.
inline std::optional<std::string> SymlinkTarget(const std::string& path) {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  if (n < 0 || static_cast<size_t>(n) >= sizeof buffer) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

// The link naming the running program; stat(2) through it reaches the binary itself
// even when it was replaced or renamed since it started.
inline constexpr char kSelfExecutableLink[] = "/proc/self/exe";

// The running program's own path, or "" when it cannot be read.
inline std::string SelfExecutable() { return SymlinkTarget(kSelfExecutableLink).value_or(""); }

}  // namespace tardis

#endif  // TARDIS_SYS_FILES_H_
