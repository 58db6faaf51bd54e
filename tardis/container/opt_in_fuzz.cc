// Fuzz target: any config.json text gives settings or an error, never a crash. Settings
// that come back are consistent (only the chosen mode's fields set, a clean work path in
// shared-filesystem mode), and wherever they point, the image located from them stays
// below the host path they name.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <absl/strings/match.h>
#include <absl/strings/string_view.h>

#include "tardis/container/image_location.h"
#include "tardis/container/opt_in.h"
#include "tardis/container/path.h"

namespace {

using namespace tardis::container;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<ContainerSettings> settings = ReadContainerSettings(text);
  if (!settings.ok()) return 0;
  if (!settings->enabled) {
    Check(settings->mode == StorageMode::kDefaultBase && settings->checkpoint_host_path.empty() &&
          settings->networkfs_host_path.empty() && settings->workdir_container_path.empty());
    return 0;
  }
  switch (settings->mode) {
    case StorageMode::kDefaultBase:
      Check(settings->checkpoint_host_path.empty() && settings->networkfs_host_path.empty());
      break;
    case StorageMode::kCheckpointHostPath:
      Check(!settings->checkpoint_host_path.empty() && settings->networkfs_host_path.empty());
      break;
    case StorageMode::kNetworkFs:
      Check(!settings->networkfs_host_path.empty() && settings->checkpoint_host_path.empty());
      Check(IsNormalizedAbsolutePath(settings->workdir_container_path) &&
            settings->workdir_container_path != "/");
      break;
  }
  const absl::StatusOr<ImageLocation> location =
      LocateImage(*settings, "default", "c1", "/var/lib/tardis/checkpoints");
  if (!location.ok()) return 0;
  Check(IsNormalizedAbsolutePath(location->image_dir));
  Check(absl::EndsWith(location->image_dir, "/default/c1"));
  const std::string& host = settings->mode == StorageMode::kNetworkFs
                                ? settings->networkfs_host_path
                            : settings->mode == StorageMode::kCheckpointHostPath
                                ? settings->checkpoint_host_path
                                : std::string("/var/lib/tardis/checkpoints");
  const absl::StatusOr<std::string> base = NormalizeAbsolutePath(host);
  Check(base.ok() && PathIsAtOrBelow(location->image_dir, *base) && location->image_dir != *base);
  Check(location->work_dir.empty() == (settings->mode != StorageMode::kNetworkFs));
  return 0;
}
