// What AWS's instance metadata service (IMDSv2) answers, read strictly:
//   PUT /latest/api/token                          -> a session token (text)
//   GET /latest/meta-data/spot/instance-action     -> 404, or
//       {"action": "terminate|stop|hibernate", "time": "2026-12-03T17:00:00Z"}
//   GET /latest/meta-data/events/recommendations/rebalance -> 404, or
//       {"noticeTime": "2026-12-03T17:00:00Z"}
// Every field is checked for presence and type; an unknown action or a time that is not
// RFC 3339 makes the whole answer bad (and a bad answer never triggers a finalize).
// Extra fields are ignored: AWS may add some.
#ifndef TARDIS_WATCH_AWS_H_
#define TARDIS_WATCH_AWS_H_

#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/watch/notice.h"
#include "tardis/watch/timestamps.h"

namespace tardis::watch {

inline constexpr size_t kMaxMetadataBodyBytes = 64 * 1024;

struct AwsInstanceAction {
  std::string action;  // terminate, stop or hibernate
  std::string time;    // as AWS wrote it
  int64_t time_unix_nanos = 0;

  bool operator==(const AwsInstanceAction&) const = default;
};

namespace aws_internal {

inline absl::StatusOr<nlohmann::json> ParseObject(absl::string_view body, absl::string_view what) {
  if (body.size() > kMaxMetadataBodyBytes) return absl::InvalidArgumentError(absl::StrCat(what, ": answer too long"));
  nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(what, ": not JSON"));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": not a JSON object"));
  return json;
}

inline absl::StatusOr<std::string> StringField(const nlohmann::json& json, const char* key, absl::string_view what) {
  const auto it = json.find(key);
  if (it == json.end()) return absl::InvalidArgumentError(absl::StrCat(what, ": no \"", key, "\""));
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(what, ": \"", key, "\" is not a string"));
  return it->get<std::string>();
}

}  // namespace aws_internal

inline absl::StatusOr<AwsInstanceAction> ParseAwsInstanceAction(absl::string_view body) {
  constexpr absl::string_view kWhat = "spot/instance-action";
  absl::StatusOr<nlohmann::json> json = aws_internal::ParseObject(body, kWhat);
  if (!json.ok()) return json.status();
  absl::StatusOr<std::string> action = aws_internal::StringField(*json, "action", kWhat);
  if (!action.ok()) return action.status();
  if (*action != "terminate" && *action != "stop" && *action != "hibernate") {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": unknown action `", action->substr(0, 64), "`"));
  }
  absl::StatusOr<std::string> time = aws_internal::StringField(*json, "time", kWhat);
  if (!time.ok()) return time.status();
  absl::StatusOr<int64_t> nanos = ParseRfc3339(*time);
  if (!nanos.ok()) return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", nanos.status().message()));
  return AwsInstanceAction{*action, *time, *nanos};
}

// The rebalance recommendation's noticeTime, in Unix nanoseconds.
inline absl::StatusOr<int64_t> ParseAwsRebalance(absl::string_view body) {
  constexpr absl::string_view kWhat = "events/recommendations/rebalance";
  absl::StatusOr<nlohmann::json> json = aws_internal::ParseObject(body, kWhat);
  if (!json.ok()) return json.status();
  absl::StatusOr<std::string> time = aws_internal::StringField(*json, "noticeTime", kWhat);
  if (!time.ok()) return time.status();
  absl::StatusOr<int64_t> nanos = ParseRfc3339(*time);
  if (!nanos.ok()) return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", nanos.status().message()));
  return *nanos;
}

// A session token goes back into a request header: printable ASCII without spaces only
// (a CR or LF would inject headers), at most 1 KiB.
inline absl::StatusOr<std::string> ParseAwsToken(absl::string_view body) {
  if (body.empty()) return absl::InvalidArgumentError("api/token: empty token");
  if (body.size() > 1024) return absl::InvalidArgumentError("api/token: token too long");
  for (const char c : body) {
    if (c <= 0x20 || c >= 0x7f) return absl::InvalidArgumentError("api/token: token has characters a header cannot carry");
  }
  return std::string(body);
}

// The interruption itself: the node goes at `time`.
inline Notice AwsSpotNotice(const AwsInstanceAction& action) {
  Notice notice;
  notice.cloud = Cloud::kAws;
  notice.kind = "spot-interruption";
  notice.action = action.action;
  notice.key = absl::StrCat("aws:spot:", action.time, ":", action.action);
  notice.dated_unix_nanos = action.time_unix_nanos;
  notice.deadline_unix_nanos = action.time_unix_nanos;
  return notice;
}

// A rebalance recommendation says "soon", not when: the deadline is `deadline_nanos`
// after it was first seen.
inline Notice AwsRebalanceNotice(int64_t notice_time_unix_nanos, int64_t seen_unix_nanos, int64_t deadline_nanos) {
  Notice notice;
  notice.cloud = Cloud::kAws;
  notice.kind = "rebalance-recommendation";
  notice.action = "rebalance";
  notice.key = absl::StrCat("aws:rebalance:", FormatRfc3339(notice_time_unix_nanos));
  notice.dated_unix_nanos = notice_time_unix_nanos;
  notice.deadline_unix_nanos = seen_unix_nanos + deadline_nanos;
  return notice;
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_AWS_H_
