// What a test does when this machine cannot run it (not root, no second filesystem, no
// overlay). Bazel shows a skipped test as PASSED, so a skip that is always taken on some
// machine is a test that silently does not exist there. A test that cannot run fails,
// saying why, unless whoever runs the suite said skips are expected here
// (`--test_env=TARDIS_TESTS_MAY_SKIP=1`, e.g. an unprivileged developer machine): then
// it is skipped, saying why.
#ifndef TARDIS_TESTING_CANNOT_RUN_HERE_H_
#define TARDIS_TESTING_CANNOT_RUN_HERE_H_

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace tardis::testing {

inline bool SkipsExpectedHere() {
  const char* allowed = std::getenv("TARDIS_TESTS_MAY_SKIP");
  return allowed != nullptr && std::strcmp(allowed, "1") == 0;
}

}  // namespace tardis::testing

// Ends the current test (or fixture SetUp) here: skipped or failed, see above. `why` is
// streamed, as GTEST_SKIP's message is.
#define TARDIS_CANNOT_RUN_HERE(why)                                                          \
  do {                                                                                       \
    if (::tardis::testing::SkipsExpectedHere()) GTEST_SKIP() << why;                         \
    FAIL() << "cannot run here: " << why << " (TARDIS_TESTS_MAY_SKIP=1 would skip it instead)"; \
  } while (0)

#endif  // TARDIS_TESTING_CANNOT_RUN_HERE_H_
