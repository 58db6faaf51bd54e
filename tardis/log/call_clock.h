// CallClock: where a handled runc call's time goes inside tardis-runc-handler.
//
// tardis-runc sits on the path of every runc call on the node, so what it adds is
// measured, not guessed: the handler names each step as it enters it, and the INFO line
// that ends the call says how long each took ("time: create: config 0.081, ...").
// lifecycle_bench reads those lines to split Tardis's added time per call; an operator
// reads them to see which step of a slow create was the slow one.
#ifndef TARDIS_LOG_CALL_CLOCK_H_
#define TARDIS_LOG_CALL_CLOCK_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/clock.h"

namespace tardis {

class CallClock {
 public:
  // From `start_nanos` (on the monotonic clock) on, the call is doing `first_step`.
  explicit CallClock(absl::string_view first_step = "start", int64_t start_nanos = MonotonicNanos())
      : start_(start_nanos), entered_(start_nanos), current_(first_step) {}

  // From `now` until the next Enter() (or the summary), the call is doing `step`. A step
  // entered twice adds up under its first place in the summary.
  void Enter(absl::string_view step, int64_t now = MonotonicNanos()) {
    Close(now);
    current_ = std::string(step);
  }

  // "config 0.081, classify 0.004, enroll 0.412; 0.497 ms in all" (milliseconds).
  std::string Summary(int64_t now = MonotonicNanos()) const {
    CallClock closed = *this;
    closed.Close(now);
    std::string text;
    for (const auto& [step, nanos] : closed.spent_) {
      absl::StrAppend(&text, text.empty() ? "" : ", ", step, " ", Millis(nanos));
    }
    absl::StrAppend(&text, text.empty() ? "" : "; ", Millis(now - start_), " ms in all");
    return text;
  }

 private:
  static std::string Millis(int64_t nanos) { return absl::StrFormat("%.3f", static_cast<double>(nanos) / 1e6); }

  void Close(int64_t now) {
    const int64_t nanos = now - entered_;
    entered_ = now;
    if (nanos <= 0) return;  // left as soon as entered: not a step
    for (auto& [name, spent] : spent_) {
      if (name == current_) {
        spent += nanos;
        return;
      }
    }
    spent_.emplace_back(current_, nanos);
  }

  int64_t start_;
  int64_t entered_;
  std::string current_;
  std::vector<std::pair<std::string, int64_t>> spent_;
};

}  // namespace tardis

#endif  // TARDIS_LOG_CALL_CLOCK_H_
