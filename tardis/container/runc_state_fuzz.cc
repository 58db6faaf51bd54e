// Fuzz target: any text read as runc's state.json gives a clean absolute bundle or an
// error, and read as `runc state` output gives a known status or an error, and a pid in
// the kernel's range or an error; never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <absl/strings/string_view.h>

#include "tardis/container/path.h"
#include "tardis/container/runc_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<std::string> bundle = tardis::container::BundleFromRuncState(text);
  if (bundle.ok() && !tardis::container::IsNormalizedAbsolutePath(*bundle)) std::abort();
  const absl::StatusOr<std::string> status = tardis::container::StatusFromRuncStateOutput(text);
  if (status.ok() && *status != "created" && *status != "running" && *status != "pausing" &&
      *status != "paused" && *status != "stopped") {
    std::abort();
  }
  const absl::StatusOr<int> pid = tardis::container::InitPidFromRuncStateOutput(text);
  if (pid.ok() && (*pid <= 0 || *pid > (1 << 22))) std::abort();
  return 0;
}
