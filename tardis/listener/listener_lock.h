// One tardis-listen per node: it holds an exclusive flock on <state_dir>/listener.lock
// for as long as it runs. The kernel drops the lock when the process dies however it
// dies, so "is a listener alive?" is a non-blocking probe, with no pid file to go stale.
#ifndef TARDIS_LISTENER_LISTENER_LOCK_H_
#define TARDIS_LISTENER_LISTENER_LOCK_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis {

inline std::string ListenerLockPath(const std::string& state_dir) {
  return absl::StrCat(state_dir, "/listener.lock");
}

inline bool ListenerAlive(const std::string& state_dir) {
  const int fd = ::open(ListenerLockPath(state_dir).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;  // no listener has ever run here
  const bool alive = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // also releases the shared lock if we got it
  return alive;
}

// Held by the running listener; released when destroyed or when the process ends.
//
// ListenerAlive() probes with a shared lock, so a listener starting at that instant finds
// the lock taken without another listener running. A listener holds it exclusively, so
// Acquire tells the two apart: when a shared lock can be had, only probes hold it, and
// it tries again shortly (for up to `probe_wait_ms`); when not, a listener runs.
class ListenerLock {
 public:
  // AlreadyExists when another listener holds it.
  static absl::StatusOr<ListenerLock> Acquire(const std::string& state_dir, int probe_wait_ms = 2000) {
    if (absl::Status made = MakeDirectories(state_dir, 0700); !made.ok()) return made;
    const std::string path = ListenerLockPath(state_dir);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
    constexpr int kStepMs = 1;
    for (int waited = 0;; waited += kStepMs) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return ListenerLock(fd);
      int error = errno;
      if (error == EWOULDBLOCK) {
        if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
          error = errno;
          ::close(fd);
          if (error == EWOULDBLOCK) return absl::AlreadyExistsError("another tardis-listen is running");
          return ErrnoStatus(error, absl::StrCat("lock ", path));
        }
        (void)::flock(fd, LOCK_UN);  // only probes: they let go in microseconds
        if (waited < probe_wait_ms) {
          ::usleep(kStepMs * 1000);
          continue;
        }
        ::close(fd);
        return absl::UnavailableError(absl::StrCat(path, " stayed locked shared for ", probe_wait_ms, " ms"));
      }
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat("lock ", path));
    }
  }

  ListenerLock(ListenerLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ListenerLock& operator=(ListenerLock&&) = delete;
  ListenerLock(const ListenerLock&) = delete;
  ~ListenerLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit ListenerLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace tardis

#endif  // TARDIS_LISTENER_LISTENER_LOCK_H_
