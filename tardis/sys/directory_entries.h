// The one directory listing (open, fdopendir, readdir with its errors told apart from its
// end). AnyDirectoryEntry: whether a directory has an entry that meets a condition (a
// container's state holding a subdirectory, an upperdir holding anything); the listing
// stops at the first entry that does, so a full upperdir costs one entry, not a listing
// of thousands. ForEachDirectoryEntry: every entry, for the callers that collect names
// (stale staging dirs, opted-in containers, CRIU's files, /proc's pids). What a
// directory that cannot be listed means is the caller's to decide: it gets the error.
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
  bool IsDirectory() const { return Is(DT_DIR, S_IFDIR); }
  // A regular file itself, not a symlink to one; asked as IsDirectory() is.
  bool IsRegularFile() const { return Is(DT_REG, S_IFREG); }

  // The entry's own status (a symlink's, not its target's), through the listing's
  // descriptor; false when it cannot be had (the entry went since it was listed).
  bool Stat(struct stat* st) const {
    return ::fstatat(directory_fd_, entry_.d_name, st, AT_SYMLINK_NOFOLLOW) == 0;
  }

 private:
  bool Is(unsigned char listed_type, mode_t format) const {
    if (entry_.d_type != DT_UNKNOWN) return entry_.d_type == listed_type;
    struct stat st;
    return Stat(&st) && (st.st_mode & S_IFMT) == format;
  }

  int directory_fd_;
  const struct dirent& entry_;
};

// Whether the listed path may itself be a symlink to the directory. Refused unless the
// caller names its directory through one on purpose: a PinnedDirectory's
// /proc/self/fd/N, or a directory of Tardis's state that an admin may have linked away.
enum class LastLink { kRefused, kFollowed };

namespace directory_entries_internal {

using ReadEntry = struct dirent* (*)(DIR*);

// The one listing loop: every entry of `path` to `stop`, until it says so; whether it
// did. `read` is readdir except in the test of a read that fails part way.
inline absl::StatusOr<bool> ListUntil(const std::string& path, LastLink last,
                                      absl::FunctionRef<bool(const DirectoryEntry&)> stop,
                                      ReadEntry read = ::readdir) {
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (last == LastLink::kRefused ? O_NOFOLLOW : 0);
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, absl::StrCat("list ", path));
  }
  bool stopped = false;
  int error = 0;
  for (;;) {
    errno = 0;  // readdir's end and its failure differ only by errno
    const struct dirent* entry = read(listing);
    if (entry == nullptr) {
      error = errno;
      break;
    }
    const absl::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (stop(DirectoryEntry(fd, *entry))) {
      stopped = true;
      break;
    }
  }
  ::closedir(listing);
  if (error != 0) return ErrnoStatus(error, absl::StrCat("list ", path));
  return stopped;
}

}  // namespace directory_entries_internal

// Whether some entry of the directory at `path` satisfies `wanted`. An error when `path`
// cannot be listed: missing, not a directory, a symlink (unless `last` follows it), not
// readable, or a read that fails part way.
inline absl::StatusOr<bool> AnyDirectoryEntry(const std::string& path,
                                              absl::FunctionRef<bool(const DirectoryEntry&)> wanted,
                                              LastLink last = LastLink::kRefused) {
  return directory_entries_internal::ListUntil(path, last, wanted);
}

// Every entry of the directory at `path`, given to `each`. The errors are
// AnyDirectoryEntry's; on one part way, `each` has seen only some of the entries, so a
// caller that acts on the whole listing collects it first.
inline absl::Status ForEachDirectoryEntry(const std::string& path,
                                          absl::FunctionRef<void(const DirectoryEntry&)> each,
                                          LastLink last = LastLink::kRefused) {
  return directory_entries_internal::ListUntil(path, last, [&](const DirectoryEntry& entry) {
           each(entry);
           return false;
         })
      .status();
}

}  // namespace tardis

#endif  // TARDIS_SYS_DIRECTORY_ENTRIES_H_
