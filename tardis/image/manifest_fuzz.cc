// Fuzz target: any bytes as a manifest parse without crashing; whatever parses
// serializes and parses back to the same manifest.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tardis/image/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<tardis::Manifest> manifest = tardis::ParseManifest(text);
  if (manifest.ok()) {
    const absl::StatusOr<tardis::Manifest> again = tardis::ParseManifest(tardis::SerializeManifest(*manifest));
    if (!again.ok() || !(*again == *manifest)) std::abort();
  }
  return 0;
}
