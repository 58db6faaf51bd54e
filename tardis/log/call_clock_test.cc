#include "tardis/log/call_clock.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tardis {
namespace {

struct Case {
  const char* name;
  std::vector<std::pair<const char*, int64_t>> entered;  // step, at (ns after the start)
  int64_t summary_at;
  std::string want;
};

TEST(CallClockTest, SaysHowLongEachStepTook) {
  const std::vector<Case> cases = {
      {"nothing entered", {}, 2'500'000, "start 2.500; 2.500 ms in all"},
      {"nothing entered, no time", {}, 0, "0.000 ms in all"},
      {"a step left as soon as entered is not one", {{"config", 0}, {"state", 0}}, 100'000,
       "state 0.100; 0.100 ms in all"},
      {"steps in order, the last closed by the summary",
       {{"config", 0}, {"classify", 81'000}, {"enroll", 85'000}},
       497'000,
       "config 0.081, classify 0.004, enroll 0.412; 0.497 ms in all"},
      {"time before the first step is the start's",
       {{"config", 1'000'000}},
       1'500'000,
       "start 1.000, config 0.500; 1.500 ms in all"},
      {"a step entered again adds up in its first place",
       {{"state", 0}, {"runc", 1'000'000}, {"state", 3'000'000}},
       3'500'000,
       "state 1.500, runc 2.000; 3.500 ms in all"},
      {"a step entered twice in a row is one step",
       {{"lease", 0}, {"lease", 200'000}},
       300'000,
       "lease 0.300; 0.300 ms in all"},
  };
  for (const Case& c : cases) {
    constexpr int64_t kStart = 1'000'000'000;
    CallClock clock("start", kStart);
    for (const auto& [step, at] : c.entered) clock.Enter(step, kStart + at);
    EXPECT_EQ(clock.Summary(kStart + c.summary_at), c.want) << c.name;
  }
}

TEST(CallClockTest, ASummaryLeavesTheClockRunning) {
  CallClock clock("runc", 0);
  EXPECT_EQ(clock.Summary(1'000'000), "runc 1.000; 1.000 ms in all");
  clock.Enter("forget", 2'000'000);
  EXPECT_EQ(clock.Summary(2'500'000), "runc 2.000, forget 0.500; 2.500 ms in all");
}

}  // namespace
}  // namespace tardis
