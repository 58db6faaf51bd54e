// A spot notice: what one metadata service said that makes the node finalize, reduced to
// what acting on it needs (which cloud, a key naming this very notice, the deadline), and
// the one rule every notice passes before it is acted on: it is not dated too far in the
// past. A notice dated more than kMaxNoticeAge ago is a leftover (a watcher restarted
// long after it, a clock far off, a replayed answer) and finalizing for it would stop
// containers for nothing.
//
// The key is what "acted on once" is about (acted.h): the same notice seen again, by this
// watcher or by the next one after a restart, has the same key.
#ifndef TARDIS_WATCH_NOTICE_H_
#define TARDIS_WATCH_NOTICE_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/watch/timestamps.h"

namespace tardis::watch {

enum class Cloud { kAws, kGcp, kAzure };

inline absl::string_view CloudName(Cloud cloud) {
  switch (cloud) {
    case Cloud::kAws: return "aws";
    case Cloud::kGcp: return "gcp";
    case Cloud::kAzure: return "azure";
  }
  return "aws";
}

inline std::optional<Cloud> ParseCloud(absl::string_view name) {
  if (name == "aws") return Cloud::kAws;
  if (name == "gcp") return Cloud::kGcp;
  if (name == "azure") return Cloud::kAzure;
  return std::nullopt;
}

inline constexpr int64_t kMaxNoticeAgeNanos = 10LL * 60 * 1000000000;

struct Notice {
  Cloud cloud = Cloud::kAws;
  // What kind: "spot-interruption" (AWS), "rebalance-recommendation" (AWS --rebalance),
  // "preemption" (GCP), "scheduled-event" (Azure).
  std::string kind;
  // What the cloud will do: terminate, stop, hibernate (AWS), rebalance, preempt.
  std::string action;
  // Names this notice, the same each time it is seen: "aws:spot:<time>:<action>",
  // "aws:rebalance:<noticeTime>", "gcp:preempted:<boot id>", "azure:<EventId>".
  std::string key;
  // The moment the notice is dated: AWS's `time` or `noticeTime`, Azure's NotBefore, the
  // moment GCP's answer was seen. What the age rule looks at.
  int64_t dated_unix_nanos = 0;
  // When the node goes: finalize orders and skips work against it.
  int64_t deadline_unix_nanos = 0;
  // Azure: the event to acknowledge once finalize is done.
  std::string event_id;

  bool operator==(const Notice&) const = default;
};

// One line for logs and stdout.
inline std::string DescribeNotice(const Notice& notice) {
  return absl::StrCat(CloudName(notice.cloud), " ", notice.kind, " (", notice.action, "), deadline ",
                      FormatRfc3339(notice.deadline_unix_nanos), ", key ", notice.key);
}

// OK when the notice may be acted on at `now`; FailedPrecondition naming why not.
inline absl::Status CheckNoticeAge(const Notice& notice, int64_t now_unix_nanos,
                                   int64_t max_age_nanos = kMaxNoticeAgeNanos) {
  if (notice.dated_unix_nanos < now_unix_nanos - max_age_nanos) {
    return absl::FailedPreconditionError(
        absl::StrCat("dated ", FormatRfc3339(notice.dated_unix_nanos), ", more than ", max_age_nanos / 1000000000,
                     " s before now (", FormatRfc3339(now_unix_nanos), "): a leftover, not acted on"));
  }
  return absl::OkStatus();
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_NOTICE_H_
