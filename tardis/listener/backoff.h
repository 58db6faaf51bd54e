// How long tardis-listen waits before starting `ctr events` again after it ended
// (containerd restarting, usually): quickly at first, then backing off to at most 5 s
// while containerd stays away, and quickly again once a run has lasted.
#ifndef TARDIS_LISTENER_BACKOFF_H_
#define TARDIS_LISTENER_BACKOFF_H_

#include <algorithm>
#include <cstdint>

namespace tardis {

inline constexpr int64_t kFirstRestartDelayMs = 100;
inline constexpr int64_t kMaxRestartDelayMs = 5000;
// A run this long counts as healthy: the next failure starts the backoff over.
inline constexpr int64_t kHealthyRunMs = 10000;

inline int64_t NextRestartDelayMs(int64_t previous_delay_ms, int64_t run_lasted_ms) {
  if (run_lasted_ms >= kHealthyRunMs || previous_delay_ms <= 0) return kFirstRestartDelayMs;
  return std::min(previous_delay_ms * 2, kMaxRestartDelayMs);
}

}  // namespace tardis

#endif  // TARDIS_LISTENER_BACKOFF_H_
