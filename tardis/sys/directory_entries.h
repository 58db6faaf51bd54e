// Whether a directory has an entry that meets a condition: a container's state holding a
// subdirectory (state_store.h's HoldsDirectory), an upperdir holding anything
// (archive/displace.h's UpperdirHasEntries). The listing stops at the first entry that
// does, so a full upperdir costs one entry, not a listing of thousands. What a directory
// that cannot be listed means is the caller's to decide: it gets the error.
#ifndef TARDIS_SYS_DIRECTORY_ENTRIES_H_
#define TARDIS_SYS_DIRECTORY_ENTRIES_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/errno_status.h"

namespace tardis {

// An entry of the directory being listed (never "." or ".."), valid only during the call
// it is given to.
class DirectoryEntry {
 public:
  DirectoryEntry(int directory_fd, const struct dirent& entry) : directory_fd_(directory_fd), entry_(entry) {}

  absl::string_view name() const { return entry_.d_name; }

  // A directory itself, not a symlink to one. The filesystem is asked only when the
  // listing does not say (DT_UNKNOWN); an entry it cannot stat is not one.
  bool IsDirectory() const {
    if (entry_.d_type != DT_UNKNOWN) return entry_.d_type == DT_DIR;
    struct stat st;
    return ::fstatat(directory_fd_, entry_.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  }

 private:
  int directory_fd_;
  const struct dirent& entry_;
};

// Whether some entry of the directory at `path` satisfies `wanted`. An error when `path`
// cannot be listed: missing, not a directory, a symlink (not followed), not readable, or
// a read that fails part way.
inline absl::StatusOr<bool> AnyDirectoryEntry(const std::string& path,
                                              absl::FunctionRef<bool(const DirectoryEntry&)> wanted) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, absl::StrCat("list ", path));
  }
  bool found = false;
  int error = 0;
  for (;;) {
    errno = 0;  // readdir's end and its failure differ only by errno
    const struct dirent* entry = ::readdir(listing);
    if (entry == nullptr) {
      error = errno;
      break;
    }
    const absl::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (wanted(DirectoryEntry(fd, *entry))) {
      found = true;
      break;
    }
  }
  ::closedir(listing);
  if (error != 0) return ErrnoStatus(error, absl::StrCat("list ", path));
  return found;
}

}  // namespace tardis

#endif  // TARDIS_SYS_DIRECTORY_ENTRIES_H_
