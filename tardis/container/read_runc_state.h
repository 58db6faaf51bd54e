// ReadRuncBundle(): a container's bundle directory, from the state file runc keeps for it.
#ifndef TARDIS_CONTAINER_READ_RUNC_STATE_H_
#define TARDIS_CONTAINER_READ_RUNC_STATE_H_

#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/container/runc_state.h"
#include "tardis/sys/files.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

// state.json holds the whole libcontainer config: a few kilobytes, more with many mounts.
inline constexpr size_t kMaxRuncStateBytes = 16 * 1024 * 1024;

// `root` is runc's --root; `id` comes from an argv, so it must name one entry in it.
inline absl::StatusOr<std::string> ReadRuncBundle(absl::string_view root, absl::string_view id) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != absl::string_view::npos ||
      id.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not a container id: ", Quote(id)));
  }
  const std::string path = RuncStatePath(root, id);
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxRuncStateBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> bundle = BundleFromRuncState(*text);
  if (!bundle.ok()) {
    return absl::Status(bundle.status().code(),
                        absl::StrCat(path, ": ", bundle.status().message()));
  }
  return bundle;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_READ_RUNC_STATE_H_
