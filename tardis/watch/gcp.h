// What GCP's metadata server answers to
//   GET /computeMetadata/v1/instance/preempted[?wait_for_change=true...]
//   Metadata-Flavor: Google
// read strictly: the answer must carry `Metadata-Flavor: Google` (anything else is not
// GCP's metadata server, e.g. a proxy or captive portal answering 200), and its body is
// TRUE or FALSE (a trailing newline allowed). Its ETag is used for the next long poll only
// when it is a short run of letters and digits (it goes into a URL).
#ifndef TARDIS_WATCH_GCP_H_
#define TARDIS_WATCH_GCP_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/watch/notice.h"

namespace tardis::watch {

inline constexpr int64_t kGcpNoticeNanos = 30LL * 1000000000;

// True: preempted. `flavor`: the answer's Metadata-Flavor header, if any.
inline absl::StatusOr<bool> ParseGcpPreempted(std::optional<absl::string_view> flavor, absl::string_view body) {
  if (!flavor) return absl::InvalidArgumentError("instance/preempted: no Metadata-Flavor header in the answer");
  if (*flavor != "Google") {
    return absl::InvalidArgumentError(
        absl::StrCat("instance/preempted: Metadata-Flavor is `", flavor->substr(0, 64), "`, not Google"));
  }
  if (body.size() > 64) return absl::InvalidArgumentError("instance/preempted: answer too long");
  const absl::string_view value = absl::StripTrailingAsciiWhitespace(body);
  if (value == "TRUE") return true;
  if (value == "FALSE") return false;
  return absl::InvalidArgumentError(absl::StrCat("instance/preempted: `", value, "` is neither TRUE nor FALSE"));
}

inline std::optional<std::string> UsableEtag(std::optional<absl::string_view> etag) {
  if (!etag || etag->empty() || etag->size() > 64) return std::nullopt;
  for (const char c : *etag) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::string(*etag);
}

// GCP gives a preempted instance 30 s. The key names the boot: a preempted instance
// that is started again must be able to act on its next preemption.
inline Notice GcpNotice(int64_t seen_unix_nanos, absl::string_view boot_id) {
  Notice notice;
  notice.cloud = Cloud::kGcp;
  notice.kind = "preemption";
  notice.action = "preempt";
  notice.key = absl::StrCat("gcp:preempted:", boot_id);
  notice.dated_unix_nanos = seen_unix_nanos;
  notice.deadline_unix_nanos = seen_unix_nanos + kGcpNoticeNanos;
  return notice;
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_GCP_H_
