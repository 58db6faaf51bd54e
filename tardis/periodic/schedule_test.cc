#include "tardis/periodic/schedule.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tardis::periodic {
namespace {

ContainerKey Key(const std::string& id, int64_t created = 1) { return {"ns", id, created}; }

std::vector<std::string> Ids(const std::vector<ContainerKey>& keys) {
  std::vector<std::string> ids;
  for (const ContainerKey& k : keys) ids.push_back(k.id);
  return ids;
}

// No jitter unless a test sets one.
PeriodicSchedule Fixed(int64_t jitter = 0) {
  return PeriodicSchedule([jitter](int64_t bound) { return std::min(jitter, bound); });
}

TEST(PeriodicSchedule, FirstCheckpointOneIntervalAfterFirstSeen) {
  PeriodicSchedule s = Fixed();
  s.Sync({{Key("a"), 5000}}, 1000);
  EXPECT_EQ(s.NextDueMs(), 6000);
  EXPECT_TRUE(s.TakeDue(5999, 1).empty());
  EXPECT_EQ(Ids(s.TakeDue(6000, 1)), std::vector<std::string>{"a"});
  EXPECT_EQ(s.InFlight(), 1);
  EXPECT_TRUE(s.TakeDue(100000, 1).empty()) << "in flight: not started twice";
  s.Finished(Key("a"), 8000);
  EXPECT_EQ(s.InFlight(), 0);
  EXPECT_EQ(s.NextDueMs(), 13000) << "due an interval after the last one ended";
}

TEST(PeriodicSchedule, AtMostLimitInFlightEarliestDueFirst) {
  PeriodicSchedule s = Fixed();
  s.Sync({{Key("late"), 3000}, {Key("early"), 1000}, {Key("mid"), 2000}}, 0);
  EXPECT_EQ(Ids(s.TakeDue(5000, 2)), (std::vector<std::string>{"early", "mid"}));
  EXPECT_TRUE(s.TakeDue(5000, 2).empty());
  s.Finished(Key("early"), 5100);
  EXPECT_EQ(Ids(s.TakeDue(5100, 2)), std::vector<std::string>{"late"});
  EXPECT_EQ(s.InFlight(), 2);
}

TEST(PeriodicSchedule, ForgottenContainerInFlightStillCounts) {
  PeriodicSchedule s = Fixed();
  s.Sync({{Key("a"), 1000}, {Key("b"), 1000}}, 0);
  EXPECT_EQ(Ids(s.TakeDue(1000, 1)), std::vector<std::string>{"a"});
  s.Sync({{Key("b"), 1000}}, 1100);  // a was deleted while its checkpoint runs
  EXPECT_EQ(s.InFlight(), 1);
  EXPECT_TRUE(s.TakeDue(5000, 1).empty());
  s.Finished(Key("a"), 5000);
  EXPECT_EQ(Ids(s.TakeDue(5000, 1)), std::vector<std::string>{"b"});
}

TEST(PeriodicSchedule, ChangedIntervalOrNewContainerWithSameIdIsPlannedAnew) {
  PeriodicSchedule s = Fixed();
  s.Sync({{Key("a", 1), 1000}}, 0);
  s.Sync({{Key("a", 1), 60000}}, 500);
  EXPECT_EQ(s.NextDueMs(), 60500);
  s.Sync({{Key("a", 2), 1000}}, 700);
  EXPECT_EQ(s.NextDueMs(), 1700);
}

TEST(PeriodicSchedule, NoIntervalIsNeverPlanned) {
  PeriodicSchedule s = Fixed();
  s.Sync({{Key("a"), 0}, {Key("b"), -5}}, 0);
  EXPECT_EQ(s.NextDueMs(), std::nullopt);
  EXPECT_TRUE(s.TakeDue(INT64_MAX / 2, 8).empty());
}

TEST(PeriodicSchedule, JitterIsBoundedToATenthOfTheInterval) {
  PeriodicSchedule wild([](int64_t) { return int64_t{1} << 40; });
  wild.Sync({{Key("a"), 10000}}, 0);
  EXPECT_EQ(wild.NextDueMs(), 11000);
  PeriodicSchedule negative([](int64_t) { return -5; });
  negative.Sync({{Key("a"), 10000}}, 0);
  EXPECT_EQ(negative.NextDueMs(), 10000);
  PeriodicSchedule some = Fixed(300);
  some.Sync({{Key("a"), 10000}}, 0);
  EXPECT_EQ(some.NextDueMs(), 10300);
}

TEST(PeriodicSchedule, FinishedForUnknownContainerIsHarmless) {
  PeriodicSchedule s = Fixed();
  s.Finished(Key("ghost"), 10);
  EXPECT_EQ(s.InFlight(), 0);
}

}  // namespace
}  // namespace tardis::periodic
