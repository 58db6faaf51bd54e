// errno as an absl::Status, with what was being done.
#ifndef TARDIS_SYS_ERRNO_STATUS_H_
#define TARDIS_SYS_ERRNO_STATUS_H_

#include <cerrno>
#include <cstring>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

namespace tardis {

inline absl::Status ErrnoStatus(int error, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  switch (error) {
    case ENOENT: return absl::NotFoundError(message);
    case EEXIST: return absl::AlreadyExistsError(message);
    case EACCES:
    case EPERM: return absl::PermissionDeniedError(message);
    default: return absl::InternalError(message);
  }
}

}  // namespace tardis

#endif  // TARDIS_SYS_ERRNO_STATUS_H_
