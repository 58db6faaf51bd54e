// TARDIS_CHECKPOINT_INTERVAL is written by the container's author: whatever it is, the
// parser answers, and an accepted value is a whole number of milliseconds within a week.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tardis/periodic/interval.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<int64_t> ms = tardis::periodic::ParseInterval(text);
  if (ms.ok() && (*ms < 0 || *ms > tardis::periodic::kMaxIntervalMs)) std::abort();
  const tardis::periodic::IntervalDecision d =
      tardis::periodic::DecideInterval({text, 60000, 5000, size % 2 == 1});
  if (d.interval_ms != 0 && (d.interval_ms < 5000 || size % 2 == 1)) std::abort();
  return 0;
}
