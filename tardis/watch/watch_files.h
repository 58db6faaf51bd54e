// The watcher's files in the state dir: its lock (<state_dir>/watch.lock, one watcher
// per node, held with flock for as long as it runs, like tardis-listen's) and the record
// of the notices it acted on (<state_dir>/watch/acted.json, see acted.h), replaced
// atomically.
#ifndef TARDIS_WATCH_WATCH_FILES_H_
#define TARDIS_WATCH_WATCH_FILES_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"
#include "tardis/watch/acted.h"

namespace tardis::watch {

inline std::string WatchLockPath(const std::string& state_dir) { return absl::StrCat(state_dir, "/watch.lock"); }
inline std::string ActedPath(const std::string& state_dir) { return absl::StrCat(state_dir, "/watch/acted.json"); }

// Held by the running watcher; released when destroyed or when the process ends.
class WatchLock {
 public:
  // AlreadyExists when another watcher holds it.
  static absl::StatusOr<WatchLock> Acquire(const std::string& state_dir) {
    if (absl::Status made = MakeDirectories(state_dir, 0700); !made.ok()) return made;
    const std::string path = WatchLockPath(state_dir);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) return absl::AlreadyExistsError("another tardisctl watch is running on this node");
      return ErrnoStatus(error, absl::StrCat("lock ", path));
    }
    return WatchLock(fd);
  }

  WatchLock(WatchLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WatchLock& operator=(WatchLock&&) = delete;
  WatchLock(const WatchLock&) = delete;
  ~WatchLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit WatchLock(int fd) : fd_(fd) {}
  int fd_;
};

// The entries, none when the file does not exist.
inline absl::StatusOr<std::vector<ActedEntry>> ReadActed(const std::string& state_dir) {
  const std::string path = ActedPath(state_dir);
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxActedBytes);
  if (absl::IsNotFound(text.status())) return std::vector<ActedEntry>{};  // ENOENT
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<ActedEntry>> entries = ParseActed(*text);
  if (!entries.ok()) return absl::DataLossError(absl::StrCat(path, ": ", entries.status().message()));
  return entries;
}

inline absl::Status WriteActed(const std::string& state_dir, const std::vector<ActedEntry>& entries) {
  if (absl::Status made = MakeDirectories(absl::StrCat(state_dir, "/watch"), 0700); !made.ok()) return made;
  return WriteFileAtomically(ActedPath(state_dir), SerializeActed(entries), 0600);
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_WATCH_FILES_H_
