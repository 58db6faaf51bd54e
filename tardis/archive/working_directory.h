// Keeps the process's working directory where it was across code that moves it.
//
// libarchive changes the working directory: its disk reader fchdir()s while walking a
// tree, and its disk writer resolves entry names (and its deferred directory fix-ups)
// against it. Whoever calls into them saves the working directory first and is back in
// it on every return path, so the rest of the process never sees a change. (The process
// is single-threaded, as tardis-runc is: another thread would see the change meanwhile.)
#ifndef TARDIS_ARCHIVE_WORKING_DIRECTORY_H_
#define TARDIS_ARCHIVE_WORKING_DIRECTORY_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <absl/status/status.h>

#include "tardis/sys/errno_status.h"

namespace tardis::archive {

class SavedWorkingDirectory {
 public:
  // O_PATH: works even for a directory we may not read.
  SavedWorkingDirectory() : fd_(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)), error_(errno) {}
  SavedWorkingDirectory(const SavedWorkingDirectory&) = delete;
  SavedWorkingDirectory& operator=(const SavedWorkingDirectory&) = delete;
  ~SavedWorkingDirectory() {
    if (fd_ < 0) return;
    (void)Restore();
    ::close(fd_);
  }

  absl::Status status() const {
    return fd_ >= 0 ? absl::OkStatus() : ErrnoStatus(error_, "open the working directory");
  }

  // Back to the saved directory now (the destructor does it too).
  absl::Status Restore() const {
    if (fd_ < 0) return status();
    if (::fchdir(fd_) != 0) return ErrnoStatus(errno, "return to the working directory");
    return absl::OkStatus();
  }

 private:
  int fd_;
  int error_;
};

}  // namespace tardis::archive

#endif  // TARDIS_ARCHIVE_WORKING_DIRECTORY_H_
