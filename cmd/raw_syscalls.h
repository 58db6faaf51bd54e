// The few Linux system calls tardis-runc's front-end makes, without a C library: the
// front-end is linked with -nostdlib so that a pass-through call skips glibc's start-up.
// x86_64 and aarch64; every call returns the kernel's result (-errno on failure).
#ifndef TARDIS_CMD_RAW_SYSCALLS_H_
#define TARDIS_CMD_RAW_SYSCALLS_H_

#include <stddef.h>
#include <stdint.h>

namespace tardis::raw {

inline constexpr long kAtFdCwd = -100;
inline constexpr long kReadOnly = 0;           // O_RDONLY
inline constexpr long kNoCtty = 0400;          // O_NOCTTY
inline constexpr long kCloseOnExec = 02000000; // O_CLOEXEC
inline constexpr long kAtSymlinkNoFollow = 0x100;  // AT_SYMLINK_NOFOLLOW
inline constexpr long kEnoent = 2;
inline constexpr long kEintr = 4;

#if defined(__x86_64__)
enum : long { kRead = 0, kWrite = 1, kClose = 3, kExecve = 59, kExitGroup = 231,
              kOpenat = 257, kNewfstatat = 262, kReadlinkat = 267 };

inline long Syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  long result;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return result;
}
#elif defined(__aarch64__)
enum : long { kRead = 63, kWrite = 64, kClose = 57, kExecve = 221, kExitGroup = 94,
              kOpenat = 56, kNewfstatat = 79, kReadlinkat = 78 };

inline long Syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "tardis-runc's front-end knows the system calls of x86_64 and aarch64 only"
#endif

inline long Open(const char* path) {
  return Syscall(kOpenat, kAtFdCwd, reinterpret_cast<long>(path),
                 kReadOnly | kNoCtty | kCloseOnExec);
}

inline long Read(int fd, void* buffer, size_t size) {
  return Syscall(kRead, fd, reinterpret_cast<long>(buffer), static_cast<long>(size));
}

inline long Write(int fd, const void* buffer, size_t size) {
  return Syscall(kWrite, fd, reinterpret_cast<long>(buffer), static_cast<long>(size));
}

inline long Close(int fd) { return Syscall(kClose, fd); }

// The identity of a file (following symlinks), as stat(2) gives it.
struct FileId {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const FileId& other) const {
    return device == other.device && inode == other.inode;
  }
};

// stat(2): false when the file cannot be stat'ed. st_dev and st_ino are the first two
// 64-bit fields of struct stat on both architectures.
inline bool Stat(const char* path, FileId* id) {
  alignas(16) uint64_t buffer[32];  // struct stat is 144 bytes on x86_64, 128 on aarch64
  if (Syscall(kNewfstatat, kAtFdCwd, reinterpret_cast<long>(path),
              reinterpret_cast<long>(buffer), 0) != 0) {
    return false;
  }
  id->device = buffer[0];
  id->inode = buffer[1];
  return true;
}

// lstat(2) of `path`: 0 when something is there, else -errno.
inline long Lstat(const char* path) {
  alignas(16) uint64_t buffer[32];
  return Syscall(kNewfstatat, kAtFdCwd, reinterpret_cast<long>(path), reinterpret_cast<long>(buffer),
                 kAtSymlinkNoFollow);
}

inline long Readlink(const char* path, char* buffer, size_t size) {
  return Syscall(kReadlinkat, kAtFdCwd, reinterpret_cast<long>(path),
                 reinterpret_cast<long>(buffer), static_cast<long>(size));
}

// Returns -errno; only when the exec failed.
inline long Execve(const char* path, char* const* argv, char* const* envp) {
  return Syscall(kExecve, reinterpret_cast<long>(path), reinterpret_cast<long>(argv),
                 reinterpret_cast<long>(envp));
}

[[noreturn]] inline void ExitGroup(int code) {
  for (;;) Syscall(kExitGroup, code);
}

}  // namespace tardis::raw

#endif  // TARDIS_CMD_RAW_SYSCALLS_H_
