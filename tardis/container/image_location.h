// LocateImage(): the host paths a container's checkpoint image (and, in shared-
// filesystem mode, its work directory) would live at, decided from its settings, its
// namespace and checkpoint identity (checkpoint_identity.h: the job's name, or the
// container id), and the host's checkpoint base (SPEC.md "Opting in").
//
// These are candidates only: the host paths come from the container's author, so the
// caller must still confine them to the allowed roots (confine.h) before using them.
// What is checked here is everything that can be checked without the filesystem: the
// namespace and identity are single, harmless path components, and every host path is
// absolute and free of "..".
#ifndef TARDIS_CONTAINER_IMAGE_LOCATION_H_
#define TARDIS_CONTAINER_IMAGE_LOCATION_H_

#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/container/checkpoint_identity.h"
#include "tardis/container/opt_in.h"
#include "tardis/container/path.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

// containerd's identifier limit (namespaces and container ids alike).
inline constexpr size_t kMaxIdentifierLength = 76;

struct ImageLocation {
  std::string image_dir;
  std::string work_dir;  // kNetworkFs only: bind-mounted into the container; else empty
};

// [A-Za-z0-9][A-Za-z0-9_.-]*, at most 76 characters. containerd's own rule is stricter
// (no two separators in a row, none last); this is the part that keeps a name a single
// path component that cannot be "." or "..".
inline absl::Status ValidateIdentifier(absl::string_view what, absl::string_view name) {
  return ValidateSafeName(what, name, kMaxIdentifierLength);
}

// `identity`: the checkpoint identity's name.
inline absl::StatusOr<ImageLocation> LocateImage(const ContainerSettings& settings,
                                                 absl::string_view ns, absl::string_view identity,
                                                 absl::string_view checkpoint_base) {
  if (absl::Status status = ValidateIdentifier("namespace", ns); !status.ok()) return status;
  if (absl::Status status = ValidateCheckpointId(identity); !status.ok()) return status;
  const absl::string_view id = identity;
  const auto base_from = [](absl::string_view what,
                            absl::string_view path) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> normalized = NormalizeAbsolutePath(path);
    if (!normalized.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", normalized.status().message()));
    }
    return normalized;
  };

  ImageLocation location;
  switch (settings.mode) {
    case StorageMode::kDefaultBase: {
      absl::StatusOr<std::string> base = base_from("checkpoint_base", checkpoint_base);
      if (!base.ok()) return base.status();
      location.image_dir = JoinPath(*base, {ns, id});
      break;
    }
    case StorageMode::kCheckpointHostPath: {
      absl::StatusOr<std::string> base =
          base_from(kCheckpointHostPathVariable, settings.checkpoint_host_path);
      if (!base.ok()) return base.status();
      location.image_dir = JoinPath(*base, {ns, id});
      break;
    }
    case StorageMode::kNetworkFs: {
      absl::StatusOr<std::string> base =
          base_from(kNetworkFsHostPathVariable, settings.networkfs_host_path);
      if (!base.ok()) return base.status();
      location.image_dir = JoinPath(*base, {"checkpoint", ns, id});
      location.work_dir = JoinPath(*base, {"work", ns, id});
      break;
    }
  }
  // Joining can push a path that was just within the limit over it.
  if (location.image_dir.size() > kMaxPathBytes || location.work_dir.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("image path longer than ", kMaxPathBytes, " bytes"));
  }
  return location;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_IMAGE_LOCATION_H_
