// Fuzz target: any argv (NUL-separated words) classifies without crashing, and an
// understood one rebuilds to exactly itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tardis/runc/classify.h"
#include "tardis/runc/invocation.h"
#include "tardis/runc/route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> argv;
  std::string word;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      argv.push_back(word);
      word.clear();
    } else {
      word.push_back(static_cast<char>(data[i]));
    }
  }
  if (!word.empty()) argv.push_back(word);

  const tardis::runc::Invocation invocation = tardis::runc::Classify(argv);
  (void)tardis::runc::RouteOf(invocation);
  if (invocation.understood && tardis::runc::Rebuild(invocation) != argv) std::abort();
  return 0;
}
