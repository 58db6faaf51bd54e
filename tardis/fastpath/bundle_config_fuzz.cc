// Fuzz target: any config.json text. What the front-end calls certainly not opted in
// (fastpath::CertainlyNotOptedIn) the full program's reader never finds opted in.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tardis/fastpath/consistency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  if (const std::string problem = tardis::fastpath::CheckBundleConfig(json); !problem.empty()) {
    std::fprintf(stderr, "bundle_config_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
