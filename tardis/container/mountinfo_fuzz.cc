// Fuzz target: any mountinfo text and mount point (the input up to its first NUL byte is
// the mount point, the rest the mountinfo; without a NUL, all of it is mountinfo and the
// mount point is /x/c1/rootfs) gives an absolute upperdir or an error, and the mounts
// beneath it in detaching order, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/container/leftover_mounts.h"
#include "tardis/container/mountinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::string_view mount_point = "/x/c1/rootfs";
  if (const size_t nul = input.find('\0'); nul != absl::string_view::npos) {
    mount_point = input.substr(0, nul);
    input.remove_prefix(nul + 1);
  }
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    if (auto entry = tardis::container::ParseMountinfoLine(line)) {
      (void)tardis::container::SplitSuperOptions(entry->super_options);
    }
  }
  const absl::StatusOr<std::string> upperdir =
      tardis::container::OverlayUpperdirAt(input, mount_point);
  if (upperdir.ok() && (upperdir->empty() || upperdir->front() != '/')) std::abort();
  // What a delete would detach lies strictly beneath the directory, children first.
  const std::vector<std::string> beneath = tardis::container::MountsBeneath(input, mount_point);
  for (size_t i = 0; i < beneath.size(); ++i) {
    if (beneath[i].size() <= mount_point.size() || beneath[i][mount_point.size()] != '/') std::abort();
    if (i > 0 && beneath[i] >= beneath[i - 1]) std::abort();
  }
  return 0;
}
