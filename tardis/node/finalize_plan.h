// PlanFinalize(): in which order finalize checkpoints the node's containers, and which it
// does not start at all, when a spot notice gives it a deadline.
//
// A checkpoint's cost is mostly the image it writes, so the expected image size decides:
// the container's last image if it has one, else its cgroup's memory use (what CRIU will
// dump), each at `bytes_per_second`, plus a fixed cost per container (ctr, runc, CRIU
// starting and containerd's bookkeeping). Smallest first saves the most containers
// before the deadline; sizes that are not known go last, in their given order.
//
// With a deadline the plan plays the work out on `parallel` workers: a container that
// would not finish before the deadline is not started (it is reported skipped, with the
// estimate that ruled it out), because a checkpoint cut off by the node's end is lost
// work that also held a worker a smaller container could have used. Finalize checks the
// same rule again, with the real clock, when a worker is about to start a container
// (DeadlineSkip). A deadline already passed when finalize starts means nothing can be
// promised: then nothing is skipped, and the node does what it can while it lives.
//
// Pure: sizes and durations in, the order and the reasons out.
#ifndef TARDIS_NODE_FINALIZE_PLAN_H_
#define TARDIS_NODE_FINALIZE_PLAN_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>

#include "tardis/node/report.h"

namespace tardis::node {

struct PlanInput {
  std::optional<uint64_t> expected_bytes;
  std::string basis;  // where expected_bytes comes from: "last image", "memory use"
};

struct PlanOptions {
  // How long until the deadline, when there is one (negative: it has passed).
  std::optional<int64_t> remaining_nanos;
  uint64_t bytes_per_second = 200'000'000;
  int64_t fixed_nanos = 1'000'000'000;
  int parallel = 2;
};

struct PlannedContainer {
  size_t input = 0;             // index into the inputs
  int64_t estimate_nanos = 0;   // how long its checkpoint is expected to take
  int64_t start_nanos = 0;      // when it is expected to start, from finalize's start
  std::string skip;             // non-empty: not started, and why

  bool operator==(const PlannedContainer&) const = default;
};

inline int64_t EstimateCheckpointNanos(const PlanInput& input, const PlanOptions& options) {
  const uint64_t bytes = input.expected_bytes.value_or(0);
  const uint64_t rate = std::max<uint64_t>(options.bytes_per_second, 1);
  // Whole seconds and the remainder apart, so that no product overflows.
  const uint64_t nanos = bytes / rate * 1000000000ULL + bytes % rate * 1000000000ULL / rate;
  return options.fixed_nanos + static_cast<int64_t>(std::min<uint64_t>(nanos, uint64_t{1} << 62));
}

inline std::string DescribeEstimate(const PlanInput& input, int64_t estimate_nanos) {
  if (!input.expected_bytes) return absl::StrCat("about ", FormatDuration(estimate_nanos), ", size unknown");
  return absl::StrCat("about ", FormatDuration(estimate_nanos), " for ", FormatBytes(*input.expected_bytes), " (its ",
                      input.basis, ")");
}

// Every input once, in the order work starts (skipped ones where they would have started).
inline std::vector<PlannedContainer> PlanFinalize(const std::vector<PlanInput>& inputs, const PlanOptions& options) {
  std::vector<size_t> order(inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = inputs[a].expected_bytes;
    const auto& y = inputs[b].expected_bytes;
    if (x.has_value() != y.has_value()) return x.has_value();
    return x.has_value() && *x < *y;
  });
  const bool can_skip = options.remaining_nanos && *options.remaining_nanos > 0;
  std::vector<int64_t> free_at(static_cast<size_t>(std::max(options.parallel, 1)), 0);
  std::vector<PlannedContainer> plan;
  for (const size_t i : order) {
    PlannedContainer planned;
    planned.input = i;
    planned.estimate_nanos = EstimateCheckpointNanos(inputs[i], options);
    auto worker = std::min_element(free_at.begin(), free_at.end());
    planned.start_nanos = *worker;
    if (can_skip && planned.start_nanos + planned.estimate_nanos > *options.remaining_nanos) {
      planned.skip = absl::StrCat("not started: the deadline was ", FormatDuration(*options.remaining_nanos),
                                  " away; it would have started ", FormatDuration(planned.start_nanos),
                                  " in and taken ", DescribeEstimate(inputs[i], planned.estimate_nanos));
    } else {
      *worker += planned.estimate_nanos;
    }
    plan.push_back(std::move(planned));
  }
  return plan;
}

// The same rule when a worker is about to start it: `remaining_nanos` is what is left
// of the deadline now. Empty when it may start.
inline std::string DeadlineSkip(const PlanInput& input, int64_t estimate_nanos, std::optional<int64_t> remaining_nanos,
                                bool deadline_passed_at_start) {
  if (!remaining_nanos || deadline_passed_at_start || estimate_nanos <= *remaining_nanos) return "";
  return absl::StrCat("not started: ", *remaining_nanos > 0 ? FormatDuration(*remaining_nanos) : "no time",
                      " left before the deadline when its turn came; it would have taken ",
                      DescribeEstimate(input, estimate_nanos));
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_FINALIZE_PLAN_H_
