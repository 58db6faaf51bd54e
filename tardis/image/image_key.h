// LoadImageKey(): the nodes' image key (authenticity.h) from the host's image_key_file.
//
// The key decides which images a node trusts, so the file must be root's alone: a
// regular file (not a symlink), owned by root, with no permission for group or others,
// 32 to 4096 bytes (any bytes: `head -c 32 /dev/urandom`). A missing file means no key;
// any other flaw makes the key unusable, which restores nothing rather than trusting
// images without a check the operator asked for.
#ifndef TARDIS_IMAGE_IMAGE_KEY_H_
#define TARDIS_IMAGE_IMAGE_KEY_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/image/authenticity.h"
#include "tardis/sys/files.h"
#include "tardis/sys/unique_fd.h"

namespace tardis {

inline constexpr size_t kMinImageKeyBytes = 32;
inline constexpr size_t kMaxImageKeyBytes = 4096;

inline ImageKey LoadImageKey(const std::string& path) {
  const auto unusable = [&](const std::string& why) {
    return ImageKey{ImageKey::State::kUnusable, "", absl::StrCat(path, ": ", why)};
  };
  if (path.empty()) return ImageKey{};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return ImageKey{};
    return unusable(errno == ELOOP ? "is a symlink" : std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return unusable(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return unusable("is not a regular file");
  if (st.st_uid != 0) return unusable(absl::StrCat("is owned by uid ", st.st_uid, ", not root"));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(st.st_mode & 07777));
    return unusable(absl::StrCat("is open to group or others (mode ", mode, "); chmod 600"));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < kMinImageKeyBytes || size > kMaxImageKeyBytes) {
    return unusable(absl::StrCat("holds ", size, " bytes; a key is ", kMinImageKeyBytes, " to ", kMaxImageKeyBytes));
  }
  std::string key;
  absl::Status read = ReadInChunks(fd.get(), 4096, path, [&](absl::string_view chunk) {
    key.append(chunk.data(), chunk.size());
    return key.size() > kMaxImageKeyBytes ? absl::OutOfRangeError("grew") : absl::OkStatus();
  });
  if (!read.ok() || key.size() < kMinImageKeyBytes) return unusable("could not be read whole");
  return ImageKey{ImageKey::State::kUsable, std::move(key), ""};
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_IMAGE_KEY_H_
