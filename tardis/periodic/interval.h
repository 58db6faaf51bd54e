// How often a container is checkpointed while it keeps running (SPEC.md "Periodic
// checkpoints"): TARDIS_CHECKPOINT_INTERVAL as the container wrote it, the host's
// default and minimum, and the container's storage mode in; one interval out, with the
// line to log when the container's value was not taken as written.
//
// The value is the container author's, so it is read strictly: Go's duration spelling
// without fractions or signs ("90s", "15m", "1h30m", "500ms"), at most a week, or "0" /
// "off" for none. Anything else is logged and ignored (the host's default applies, as if
// the variable were not there). An interval below the host's minimum is raised to it:
// every checkpoint freezes the job and writes a whole image, and a node's disk is shared.
//
// Shared-filesystem mode gets no periodic checkpoints: its work dir lives outside the
// image and keeps changing after a checkpoint the job survives, so a restore would pair
// the memory of one moment with the files of a later one (CRIU refuses a restore only
// when a file that was open changed size; any other change would go unnoticed). Only the
// final checkpoint, after which nothing writes the work dir, is consistent there.
#ifndef TARDIS_PERIODIC_INTERVAL_H_
#define TARDIS_PERIODIC_INTERVAL_H_

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/quote.h"

namespace tardis::periodic {

inline constexpr char kIntervalVariable[] = "TARDIS_CHECKPOINT_INTERVAL";
inline constexpr int64_t kMaxIntervalMs = int64_t{7} * 24 * 3600 * 1000;

// "0" and "off" parse as 0 (no periodic checkpoints).
inline absl::StatusOr<int64_t> ParseInterval(absl::string_view text) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(why, ": ", Quote(text, 64)));
  };
  if (text == "0" || text == "off") return 0;
  if (text.empty()) return bad("empty duration");
  if (text.size() > 32) return bad("duration too long");
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t number = 0;
    const size_t digits_start = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxIntervalMs) return bad("duration longer than a week");
      ++i;
    }
    if (i == digits_start) return bad("expected a number");
    int64_t unit_ms = 0;
    if (text.substr(i, 2) == "ms") {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit_ms = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit_ms = 60 * 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit_ms = 3600 * 1000;
      ++i;
    } else {
      return bad("expected a unit (ms, s, m or h)");
    }
    if (number > kMaxIntervalMs / unit_ms) return bad("duration longer than a week");
    total_ms += number * unit_ms;
    if (total_ms > kMaxIntervalMs) return bad("duration longer than a week");
  }
  return total_ms;
}

struct IntervalInputs {
  std::string written;          // the container's value; "" when absent
  int64_t host_default_ms = 0;  // 0: none
  int64_t host_min_ms = 5000;
  bool shared_filesystem = false;
};

struct IntervalDecision {
  int64_t interval_ms = 0;  // 0: no periodic checkpoints
  std::string note;         // for the log when the written value was not taken as is
};

inline IntervalDecision DecideInterval(const IntervalInputs& in) {
  IntervalDecision decision;
  int64_t wanted = in.host_default_ms;
  if (!in.written.empty()) {
    const absl::StatusOr<int64_t> parsed = ParseInterval(in.written);
    if (parsed.ok()) {
      wanted = *parsed;
    } else {
      decision.note = absl::StrCat(kIntervalVariable, " ignored (", parsed.status().message(), ")");
    }
  }
  if (wanted <= 0) return decision;
  if (in.shared_filesystem) {
    decision.note = absl::StrCat("no periodic checkpoints in shared-filesystem mode (its work dir moves on after "
                                 "each one); only the final checkpoint is taken");
    return decision;
  }
  if (wanted < in.host_min_ms) {
    decision.note = absl::StrCat(kIntervalVariable, " raised to the node's minimum, ", in.host_min_ms, " ms");
    wanted = in.host_min_ms;
  }
  decision.interval_ms = wanted;
  return decision;
}

}  // namespace tardis::periodic

#endif  // TARDIS_PERIODIC_INTERVAL_H_
