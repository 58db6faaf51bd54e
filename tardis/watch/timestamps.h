// The two ways metadata services write a moment, read into Unix nanoseconds: RFC 3339
// (AWS's "2026-12-03T17:00:00Z", and `tardisctl finalize --deadline`) and RFC 1123
// (Azure's NotBefore, "Mon, 19 Sep 2016 18:29:47 GMT"). Anything else is an error, never
// a guess: a notice whose deadline cannot be read is not acted on. Years outside
// 2000..2200 are refused, so that every accepted moment fits in int64 nanoseconds.
#ifndef TARDIS_WATCH_TIMESTAMPS_H_
#define TARDIS_WATCH_TIMESTAMPS_H_

#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

namespace tardis::watch {

namespace timestamps_internal {

inline absl::StatusOr<int64_t> Parse(absl::string_view format, absl::string_view text, absl::string_view what) {
  if (text.size() > 64) return absl::InvalidArgumentError(absl::StrCat(what, " time is too long"));
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(format, text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("not an ", what, " time: `", text, "` (", error, ")"));
  }
  static const absl::Time kEarliest = absl::FromCivil(absl::CivilSecond(2000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  static const absl::Time kLatest = absl::FromCivil(absl::CivilSecond(2201, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  if (time < kEarliest || time >= kLatest) {
    return absl::InvalidArgumentError(absl::StrCat(what, " time out of range (years 2000..2200): `", text, "`"));
  }
  return absl::ToUnixNanos(time);
}

}  // namespace timestamps_internal

// "2026-12-03T17:00:00Z", "2026-12-03T17:00:00.5+01:00" (a `T` and an offset or `Z`).
inline absl::StatusOr<int64_t> ParseRfc3339(absl::string_view text) {
  return timestamps_internal::Parse(absl::RFC3339_full, text, "RFC 3339");
}

// "Mon, 19 Sep 2016 18:29:47 GMT" (the weekday is not checked against the date).
inline absl::StatusOr<int64_t> ParseRfc1123(absl::string_view text) {
  return timestamps_internal::Parse("%a, %d %b %Y %H:%M:%S GMT", text, "RFC 1123");
}

// "2026-12-03T17:00:00Z" (fractions of a second only when there are any).
inline std::string FormatRfc3339(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", absl::FromUnixNanos(unix_nanos), absl::UTCTimeZone());
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_TIMESTAMPS_H_
