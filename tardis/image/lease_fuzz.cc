// Fuzz target: any bytes as a lease parse without crashing; whatever parses serializes
// and parses back to the same lease, and a claim can be decided on it.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tardis/image/lease.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<tardis::Lease> lease = tardis::ParseLease(text);
  if (lease.ok()) {
    const absl::StatusOr<tardis::Lease> again = tardis::ParseLease(tardis::SerializeLease(*lease));
    if (!again.ok() || !(*again == *lease)) std::abort();
  }
  (void)tardis::DecideClaim(lease, {"n1", "default", "c1"}, 1'000'000'000'000, 30'000'000'000);
  return 0;
}
