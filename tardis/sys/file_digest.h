// DigestFile(): a file's size and XXH3-128 (and, when asked, SHA-256), read once. The
// XXH3 checksums guard against truncation and corruption (a crash, a bad disk, a
// half-copied network file), not against an attacker, who could rewrite the manifest
// too; against one, a signed image names its files by SHA-256 (image/authenticity.h),
// and everything read from an image is still treated as hostile when used.
#ifndef TARDIS_SYS_FILE_DIGEST_H_
#define TARDIS_SYS_FILE_DIGEST_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"
#include "tardis/sys/stream_hash.h"

namespace tardis {

struct FileDigest {
  uint64_t bytes = 0;
  std::string xxh3_128;  // 32 lowercase hex digits (see stream_hash.h)
  std::string sha256;    // 64 lowercase hex digits, or "" when not asked for
};

// With `sync`, the file is also made durable (fsync), so that a published image
// survives a power loss.
inline absl::StatusOr<FileDigest> DigestFile(const std::string& path, bool sync = false,
                                             StreamHash::Sha sha = StreamHash::Sha::kNo) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  StreamHash hash(sha);
  if (!hash.ok()) {
    ::close(fd);
    return absl::ResourceExhaustedError("hash state");
  }
  absl::Status status = ReadInChunks(fd, 1 << 20, path, [&](absl::string_view chunk) {
    hash.Update(chunk.data(), chunk.size());
    return absl::OkStatus();
  });
  if (status.ok() && sync && ::fsync(fd) != 0) status = ErrnoStatus(errno, absl::StrCat("fsync ", path));
  ::close(fd);
  if (!status.ok()) return status;
  return FileDigest{hash.bytes(), hash.Hex(), hash.Sha256Hex()};
}

}  // namespace tardis

#endif  // TARDIS_SYS_FILE_DIGEST_H_
