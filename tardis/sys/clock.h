// Wall-clock time as Unix nanoseconds: what containerd's events carry, so records and
// events can be compared. And the monotonic clock, for durations and deadlines.
#ifndef TARDIS_SYS_CLOCK_H_
#define TARDIS_SYS_CLOCK_H_

#include <cstdint>
#include <ctime>

namespace tardis {

inline int64_t NowUnixNanos() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

inline int64_t MonotonicNanos() {
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace tardis

#endif  // TARDIS_SYS_CLOCK_H_
