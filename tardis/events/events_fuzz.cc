// Fuzz target: any bytes, taken as a `ctr events` line and as a /tasks/exit payload,
// parse without crashing, and every result keeps the invariants of invariants.h.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <absl/strings/string_view.h>

#include "tardis/events/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string problem = tardis::events::CheckInvariants(input);
  if (!problem.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
