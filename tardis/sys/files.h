// Small-file I/O that state and configuration rely on: bounded reads, crash-safe
// replacement, and directory creation.
#ifndef TARDIS_SYS_FILES_H_
#define TARDIS_SYS_FILES_H_

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

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

// Moves the regular file `from` to `to` (which must not exist), across filesystems too:
// there by copying it, then removing the original.
inline absl::Status MoveFile(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return absl::OkStatus();
  if (errno != EXDEV) return ErrnoStatus(errno, absl::StrCat("move ", from, " to ", to));
  if (absl::Status copied = CopyFile(from, to); !copied.ok()) return copied;
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
inline void FsyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  FsyncDirectory(slash == 0 ? "/" : slash == std::string::npos ? "." : path.substr(0, slash));
}

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

// Replaces `path` with `content` so that a reader, or a crash at any moment, sees
// either the old file or the new one: write a sibling, fsync it (kPowerLoss), rename it
// over.
inline absl::Status WriteFileAtomically(const std::string& path, absl::string_view content,
                                        mode_t mode = 0644, Durability durability = Durability::kPowerLoss) {
  const bool sync = durability == Durability::kPowerLoss;
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", temp));
  absl::Status status = WriteAll(fd, content, temp);
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
