// UnixNanosFromCivil(): a date and time of day at a UTC offset, as nanoseconds since
// the Unix epoch; FormatUnixNanos() for the way back. Shared by the two timestamp
// spellings an exit event carries (ctr's line timestamp and containerd 1.6's exited_at).
//
// Fields are taken as printed, so they are checked, not normalized: February 30th or
// 24:00:00 is an error, as is any instant int64 nanoseconds cannot hold (before
// 1677-09-21 or after 2262-04-11 UTC).
#ifndef TARDIS_EVENTS_UNIX_NANOS_H_
#define TARDIS_EVENTS_UNIX_NANOS_H_

#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

namespace tardis::events {

struct CivilFields {
  int64_t year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t nanos = 0;           // 0..999999999
  int64_t offset_seconds = 0;  // east of UTC: +0200 is 7200
};

// seconds since 1970 plus 0..999999999 nanoseconds, as one int64 if it fits.
inline absl::StatusOr<int64_t> UnixNanosFromSeconds(int64_t seconds, int64_t nanos) {
  if (seconds < 0 && nanos > 0) {  // so that the earliest instants do not overflow on the way
    seconds += 1;
    nanos -= 1'000'000'000;
  }
  int64_t unix_nanos = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1'000'000'000}, &unix_nanos) ||
      __builtin_add_overflow(unix_nanos, nanos, &unix_nanos)) {
    return absl::InvalidArgumentError("time does not fit in int64 nanoseconds since 1970");
  }
  return unix_nanos;
}

inline absl::StatusOr<int64_t> UnixNanosFromCivil(const CivilFields& f) {
  if (f.nanos < 0 || f.nanos > 999'999'999) {
    return absl::InvalidArgumentError("fraction of a second out of range");
  }
  const absl::CivilSecond civil(f.year, f.month, f.day, f.hour, f.minute, f.second);
  // CivilSecond normalizes (Feb 30th becomes Mar 2nd): a field that moved did not exist.
  if (civil.year() != f.year || civil.month() != f.month || civil.day() != f.day ||
      civil.hour() != f.hour || civil.minute() != f.minute || civil.second() != f.second) {
    return absl::InvalidArgumentError("no such date or time of day");
  }
  return UnixNanosFromSeconds((civil - absl::CivilSecond(1970, 1, 1, 0, 0, 0)) - f.offset_seconds,
                              f.nanos);
}

// RFC 3339 in UTC with the fraction's trailing zeros trimmed, as Go prints it:
// 2026-11-29T02:52:56.9294Z.
inline std::string FormatUnixNanos(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}

}  // namespace tardis::events

#endif  // TARDIS_EVENTS_UNIX_NANOS_H_
