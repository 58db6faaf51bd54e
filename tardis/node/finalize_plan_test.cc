// PlanFinalize's rule as a table: sizes, workers and a deadline in; the order work
// starts in and what is skipped (with why) out.
#include "tardis/node/finalize_plan.h"

#include <gtest/gtest.h>

#include <absl/strings/str_join.h>

namespace tardis::node {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr uint64_t kMB = 1'000'000;

struct PlanCase {
  std::string name;
  std::vector<std::optional<uint64_t>> sizes;  // expected bytes per container; nullopt: unknown
  int parallel;
  std::optional<int64_t> remaining_nanos;
  std::string want;  // "index@start" in start order; "index:skip" for skipped ones
};

std::string Describe(const std::vector<PlannedContainer>& plan) {
  std::vector<std::string> parts;
  for (const PlannedContainer& p : plan) {
    parts.push_back(p.skip.empty() ? absl::StrCat(p.input, "@", FormatDuration(p.start_nanos))
                                   : absl::StrCat(p.input, ":skip"));
  }
  return absl::StrJoin(parts, " ");
}

TEST(PlanFinalize, Table) {
  // 200 MB/s and 1 s per container: 200 MB take 2 s, 2 GB take 11 s.
  const std::vector<PlanCase> cases = {
      {"no containers", {}, 2, std::nullopt, ""},
      {"smallest first, no deadline", {2000 * kMB, 200 * kMB, 0}, 1, std::nullopt, "2@0.00s 1@1.00s 0@3.00s"},
      {"unknown sizes last, in their order", {std::nullopt, 200 * kMB, std::nullopt}, 1, std::nullopt,
       "1@0.00s 0@2.00s 2@3.00s"},
      {"equal sizes keep their order", {200 * kMB, 200 * kMB, 200 * kMB}, 1, std::nullopt,
       "0@0.00s 1@2.00s 2@4.00s"},
      {"two workers share the work", {200 * kMB, 200 * kMB, 200 * kMB}, 2, std::nullopt,
       "0@0.00s 1@0.00s 2@2.00s"},
      {"what cannot finish is skipped; smaller ones after it still run",
       {2000 * kMB, 200 * kMB, 4000 * kMB, 400 * kMB}, 1, 10 * kSecond, "1@0.00s 3@2.00s 0:skip 2:skip"},
      {"exactly at the deadline is in time", {1800 * kMB}, 1, 10 * kSecond, "0@0.00s"},
      {"one nanosecond over is not", {1800 * kMB + 1}, 1, 10 * kSecond, "0:skip"},
      {"a deadline already passed skips nothing", {2000 * kMB, 200 * kMB}, 1, -5 * kSecond, "1@0.00s 0@2.00s"},
      {"a deadline of zero skips nothing either", {2000 * kMB}, 1, 0, "0@0.00s"},
      {"parallel 0 counts as one worker", {200 * kMB, 200 * kMB}, 0, std::nullopt, "0@0.00s 1@2.00s"},
      {"a huge size does not overflow", {~uint64_t{0}}, 1, 10 * kSecond, "0:skip"},
  };
  for (const PlanCase& c : cases) {
    std::vector<PlanInput> inputs;
    for (const auto& size : c.sizes) inputs.push_back({size, "last image"});
    PlanOptions options;
    options.parallel = c.parallel;
    options.remaining_nanos = c.remaining_nanos;
    EXPECT_EQ(Describe(PlanFinalize(inputs, options)), c.want) << c.name;
  }
}

TEST(PlanFinalize, SaysWhyAContainerIsSkipped) {
  PlanOptions options;
  options.parallel = 1;
  options.remaining_nanos = 10 * kSecond;
  const std::vector<PlannedContainer> plan =
      PlanFinalize({{200 * kMB, "last image"}, {4000 * kMB, "memory use"}}, options);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1].skip,
            "not started: the deadline was 10.0s away; it would have started 2.00s in and taken about 21.0s for "
            "3.73 GiB (its memory use)");
}

TEST(DeadlineSkip, TheSameRuleWhenAWorkerGetsToIt) {
  const PlanInput input{200 * kMB, "last image"};
  EXPECT_EQ(DeadlineSkip(input, 2 * kSecond, std::nullopt, false), "");
  EXPECT_EQ(DeadlineSkip(input, 2 * kSecond, 2 * kSecond, false), "");
  EXPECT_EQ(DeadlineSkip(input, 2 * kSecond, -1, true), "") << "passed at start: nothing is skipped";
  EXPECT_EQ(DeadlineSkip(input, 2 * kSecond, kSecond, false),
            "not started: 1.00s left before the deadline when its turn came; it would have taken about 2.00s for "
            "191 MiB (its last image)");
  EXPECT_TRUE(absl::StartsWith(DeadlineSkip(input, 2 * kSecond, -kSecond, false), "not started: no time left"));
}

}  // namespace
}  // namespace tardis::node
