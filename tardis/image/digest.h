// Checksums of image files: XXH3-128, as 32 lowercase hex digits (high half first).
// They guard against truncation and corruption (a crash, a bad disk, a half-copied
// network file), not against an attacker, who could rewrite the manifest too; that is
// why every image's contents are also treated as hostile when used.
#ifndef TARDIS_IMAGE_DIGEST_H_
#define TARDIS_IMAGE_DIGEST_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/stream_hash.h"

namespace tardis {

struct FileDigest {
  uint64_t bytes = 0;
  std::string xxh3_128;
};

// Reads `path` once, hashing it; with `sync`, also makes it durable (fsync) so that a
// published image survives a power loss.
inline absl::StatusOr<FileDigest> DigestFile(const std::string& path, bool sync = false) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  StreamHash hash;
  constexpr size_t kBlock = 1 << 20;
  std::unique_ptr<char[]> buffer(new char[kBlock]);
  FileDigest digest;
  while (true) {
    const ssize_t n = ::read(fd, buffer.get(), kBlock);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    hash.Update(buffer.get(), static_cast<size_t>(n));
  }
  if (sync && ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, absl::StrCat("fsync ", path));
  }
  ::close(fd);
  digest.bytes = hash.bytes();
  digest.xxh3_128 = hash.Hex();
  return digest;
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_DIGEST_H_
