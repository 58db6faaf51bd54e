// Test support: small file-system helpers for building test trees, each an absl::Status
// so tests can ASSERT on them with the reason in the message.
#ifndef TARDIS_ARCHIVE_TEST_FILES_H_
#define TARDIS_ARCHIVE_TEST_FILES_H_

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <gtest/gtest.h>

#include "tardis/sys/errno_status.h"

// Fails (and returns from) the test when an absl::Status expression is not OK, showing it.
#define TARDIS_ASSERT_OK(expr)                   \
  do {                                           \
    const absl::Status tardis_status_ = (expr);  \
    ASSERT_TRUE(tardis_status_.ok()) << tardis_status_; \
  } while (false)

namespace tardis::archive::testing {

// `rc` of a system call: OkStatus when it is 0 (or positive), errno otherwise.
inline absl::Status Sys(long rc, absl::string_view what) {
  return rc >= 0 ? absl::OkStatus() : ErrnoStatus(errno, what);
}

// Creates `path` (it must not exist) holding `data`, with exactly `mode`.
inline absl::Status WriteNewFile(const std::string& path, absl::string_view data, mode_t mode = 0644) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", path));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat("write ", path));
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) return ErrnoStatus(errno, absl::StrCat("finish ", path));
  return absl::OkStatus();
}

// Appends `data` to the existing file `path`.
inline absl::Status AppendToFile(const std::string& path, absl::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  const ssize_t n = ::write(fd, data.data(), data.size());
  const int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size())) return ErrnoStatus(error, absl::StrCat("append ", path));
  return absl::OkStatus();
}

inline absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

inline absl::Status MakeDir(const std::string& path, mode_t mode = 0755) {
  if (::mkdir(path.c_str(), mode) != 0) return ErrnoStatus(errno, absl::StrCat("mkdir ", path));
  return Sys(::chmod(path.c_str(), mode), absl::StrCat("chmod ", path));  // no umask
}

inline absl::Status SetXattr(const std::string& path, const std::string& name, absl::string_view value) {
  return Sys(::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0),
             absl::StrCat("lsetxattr ", path, " ", name));
}

// mtime (and atime) of `path` itself, never of a symlink's target.
inline absl::Status SetTimes(const std::string& path, int64_t seconds, long nanoseconds) {
  const struct timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
  return Sys(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), absl::StrCat("utimensat ", path));
}

// A bound unix socket at `dir`/`name` (through /proc/self/fd: test paths are longer than
// sun_path), its descriptor closed again: the file stays.
inline absl::Status MakeSocketFile(const std::string& dir, const std::string& name) {
  const int dir_fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", dir));
  const std::string path = absl::StrCat("/proc/self/fd/", dir_fd, "/", name);
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    ::close(dir_fd);
    return absl::InvalidArgumentError("socket name too long");
  }
  path.copy(address.sun_path, path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int rc = fd < 0 ? -1 : ::bind(fd, reinterpret_cast<const struct sockaddr*>(&address), sizeof address);
  const int error = errno;
  if (fd >= 0) ::close(fd);
  ::close(dir_fd);
  if (rc != 0) return ErrnoStatus(error, absl::StrCat("bind ", dir, "/", name));
  return absl::OkStatus();
}

// `n` bytes that do not compress or repeat (xorshift), so holes and blocks are real.
inline std::string PseudoRandomBytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

}  // namespace tardis::archive::testing

#endif  // TARDIS_ARCHIVE_TEST_FILES_H_
