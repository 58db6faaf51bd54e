// PeriodicSchedule: when each container with a checkpoint interval is next checkpointed,
// and which may start now (SPEC.md "Periodic checkpoints").
//
// A container's next checkpoint is due one interval after its previous one ended (or
// after it was first seen), plus a jitter of up to a tenth of the interval drawn anew
// each time, so that containers started together drift apart instead of freezing and
// writing at the same moments. At most `limit` checkpoints are in flight on the node:
// each writes a whole image, and they share one disk; due ones wait their turn, earliest
// due first. Pure: the caller supplies the clock and the random draws.
#ifndef TARDIS_PERIODIC_SCHEDULE_H_
#define TARDIS_PERIODIC_SCHEDULE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace tardis::periodic {

// One container: a later container with the same id is another one.
struct ContainerKey {
  std::string ns;
  std::string id;
  int64_t created_unix_nanos = 0;

  friend bool operator<(const ContainerKey& a, const ContainerKey& b) {
    return std::tie(a.ns, a.id, a.created_unix_nanos) < std::tie(b.ns, b.id, b.created_unix_nanos);
  }
  friend bool operator==(const ContainerKey& a, const ContainerKey& b) {
    return std::tie(a.ns, a.id, a.created_unix_nanos) == std::tie(b.ns, b.id, b.created_unix_nanos);
  }
};

struct Wanted {
  ContainerKey key;
  int64_t interval_ms = 0;
};

class PeriodicSchedule {
 public:
  // `jitter(bound)`: a draw in [0, bound].
  explicit PeriodicSchedule(std::function<int64_t(int64_t)> jitter) : jitter_(std::move(jitter)) {}

  // The containers that want periodic checkpoints now. One seen for the first time is
  // due an interval (plus jitter) from now; one whose interval changed is planned anew;
  // one no longer wanted is forgotten (a checkpoint of it in flight still counts until
  // it is Finished).
  void Sync(const std::vector<Wanted>& wanted, int64_t now_ms) {
    std::map<ContainerKey, Entry> next;
    for (const Wanted& w : wanted) {
      if (w.interval_ms <= 0) continue;
      const auto it = entries_.find(w.key);
      if (it != entries_.end() && it->second.interval_ms == w.interval_ms) {
        next.emplace(w.key, it->second);
      } else {
        const bool in_flight = it != entries_.end() && it->second.in_flight;
        next.emplace(w.key, Entry{w.interval_ms, Plan(now_ms, w.interval_ms), in_flight});
      }
    }
    for (const auto& [key, entry] : entries_) {
      if (entry.in_flight && next.find(key) == next.end()) orphans_in_flight_.push_back(key);
    }
    entries_ = std::move(next);
  }

  // The containers to checkpoint now, earliest due first, keeping at most `limit` in
  // flight; each is in flight until Finished.
  std::vector<ContainerKey> TakeDue(int64_t now_ms, int limit) {
    std::vector<std::pair<int64_t, ContainerKey>> due;
    for (const auto& [key, entry] : entries_) {
      if (!entry.in_flight && entry.due_ms <= now_ms) due.emplace_back(entry.due_ms, key);
    }
    std::sort(due.begin(), due.end());
    std::vector<ContainerKey> start;
    for (const auto& [when, key] : due) {
      if (InFlight() >= limit) break;
      entries_[key].in_flight = true;
      start.push_back(key);
    }
    return start;
  }

  // A checkpoint ended, whatever its result: the next one is an interval (plus jitter)
  // from now. A failed one is simply retried then.
  void Finished(const ContainerKey& key, int64_t now_ms) {
    orphans_in_flight_.erase(std::remove(orphans_in_flight_.begin(), orphans_in_flight_.end(), key),
                             orphans_in_flight_.end());
    const auto it = entries_.find(key);
    if (it == entries_.end()) return;
    it->second.in_flight = false;
    it->second.due_ms = Plan(now_ms, it->second.interval_ms);
  }

  int InFlight() const {
    int n = static_cast<int>(orphans_in_flight_.size());
    for (const auto& [key, entry] : entries_) n += entry.in_flight ? 1 : 0;
    return n;
  }

  // When the earliest container not in flight is due; nullopt when none is planned.
  std::optional<int64_t> NextDueMs() const {
    std::optional<int64_t> next;
    for (const auto& [key, entry] : entries_) {
      if (!entry.in_flight && (!next || entry.due_ms < *next)) next = entry.due_ms;
    }
    return next;
  }

 private:
  struct Entry {
    int64_t interval_ms = 0;
    int64_t due_ms = 0;
    bool in_flight = false;
  };

  int64_t Plan(int64_t now_ms, int64_t interval_ms) const {
    const int64_t bound = interval_ms / 10;
    return now_ms + interval_ms + std::clamp<int64_t>(jitter_(bound), 0, bound);
  }

  std::function<int64_t(int64_t)> jitter_;
  std::map<ContainerKey, Entry> entries_;
  std::vector<ContainerKey> orphans_in_flight_;
};

}  // namespace tardis::periodic

#endif  // TARDIS_PERIODIC_SCHEDULE_H_
