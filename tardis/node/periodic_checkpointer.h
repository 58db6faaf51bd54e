// PeriodicCheckpointer: tardis-listen's thread that takes the periodic checkpoints
// (SPEC.md "Periodic checkpoints"). It runs where the listener runs: wherever opted-in
// containers do, started by their create and kept alive like the exit records it keeps.
// Since it wakes every second anyway, it also thaws containers a dead checkpoint left
// frozen (pause_recovery.h).
//
// Once a second (or when a checkpoint ends) it reads which opted-in containers have an
// interval and no recorded exit, lets the schedule (periodic/schedule.h) pick the ones
// due within the node's in-flight bound, and checkpoints each through containerd as
// periodic/request.h describes, one thread per checkpoint in flight. ctr's answer is
// only logged: the checkpoint handler keeps the job running and the previous image
// whatever happens, and the schedule tries again an interval later.
#ifndef TARDIS_NODE_PERIODIC_CHECKPOINTER_H_
#define TARDIS_NODE_PERIODIC_CHECKPOINTER_H_

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/config/host_config.h"
#include "tardis/log/logger.h"
#include "tardis/node/ctr.h"
#include "tardis/node/opted_in.h"
#include "tardis/node/pause_recovery.h"
#include "tardis/periodic/request.h"
#include "tardis/periodic/schedule.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"

namespace tardis::node {

// The containers that want periodic checkpoints now: of the node's opted-in ones
// (ListOptedIn), those with an interval and not known to have exited.
inline std::vector<periodic::Wanted> ContainersWantingPeriodicCheckpoints(const std::string& state_dir,
                                                                          const std::vector<OptedIn>& containers) {
  std::vector<periodic::Wanted> wanted;
  const StateStore store(state_dir);
  for (const OptedIn& c : containers) {
    if (c.record.checkpoint_interval_ms <= 0 || store.For(c.ns, c.id).Exit()) continue;
    wanted.push_back({{c.ns, c.id, c.record.created_unix_nanos}, c.record.checkpoint_interval_ms});
  }
  return wanted;
}

class PeriodicCheckpointer {
 public:
  using CtrRunner = std::function<CommandResult(const std::string& ns, const std::vector<std::string>& args)>;

  PeriodicCheckpointer(const HostConfig& config, Logger& log, CtrRunner ctr)
      : config_(config),
        log_(log),
        ctr_(std::move(ctr)),
        schedule_([this](int64_t bound) { return std::uniform_int_distribution<int64_t>(0, bound)(random_); }),
        thread_([this] { Loop(); }) {}

  PeriodicCheckpointer(const HostConfig& config, Logger& log)
      : PeriodicCheckpointer(config, log, [client = CtrClient(config.ctr, config.containerd_address)](
                                              const std::string& ns, const std::vector<std::string>& args) {
          return client.Run(ns, args);
        }) {}

  // Starts no more checkpoints and waits for those in flight: a checkpoint cut short
  // would only be retried later, but its ctr would be left behind.
  ~PeriodicCheckpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  struct Finished {
    periodic::ContainerKey key;
    int64_t monotonic_ms = 0;
  };

  void Loop() {
    // One thread per checkpoint in flight, joined as soon as it reports.
    std::map<periodic::ContainerKey, std::thread> workers;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      const std::vector<OptedIn> containers = ListOptedIn(config_.state_dir);
      (void)ThawAbandonedPauses(config_.state_dir, containers, config_.real_runc, log_);
      const std::vector<periodic::Wanted> wanted = ContainersWantingPeriodicCheckpoints(config_.state_dir, containers);
      lock.lock();
      for (const Finished& f : finished_) {
        schedule_.Finished(f.key, f.monotonic_ms);
        if (const auto it = workers.find(f.key); it != workers.end()) {
          it->second.join();
          workers.erase(it);
        }
      }
      finished_.clear();
      const int64_t now = MonotonicNanos() / 1000000;
      schedule_.Sync(wanted, now);
      for (const periodic::ContainerKey& key : schedule_.TakeDue(now, config_.periodic_in_flight)) {
        workers.emplace(key, std::thread([this, key] { CheckpointOne(key); }));
      }
      int64_t wait_ms = 1000;
      if (const std::optional<int64_t> next = schedule_.NextDueMs()) wait_ms = std::clamp<int64_t>(*next - now, 10, 1000);
      wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_ || !finished_.empty(); });
    }
    lock.unlock();
    for (auto& [key, worker] : workers) worker.join();
  }

  void CheckpointOne(const periodic::ContainerKey& key) {
    const std::string who = absl::StrCat(key.ns, "/", key.id);
    // Held across the whole ctr call (state_store.h, LockAgainstPeriodic): a final
    // checkpoint at work now means this one waits for the next interval.
    const absl::StatusOr<int> held = StateStore(config_.state_dir).For(key.ns, key.id).LockAgainstPeriodic(0);
    if (!held.ok()) {
      log_.Info(who, ": periodic checkpoint skipped: ",
                absl::IsUnavailable(held.status()) ? "a final checkpoint of the container is at work"
                                                   : held.status().message());
      Report(key);
      return;
    }
    const std::string scratch = periodic::ScratchPathFor(config_.state_dir, key.ns, key.id, NowUnixNanos());
    (void)MakeDirectories(periodic::ScratchDir(config_.state_dir), 0700);
    log_.Info(who, ": periodic checkpoint");
    const int64_t started = MonotonicNanos();
    const CommandResult result = ctr_(key.ns, {"tasks", "checkpoint", "--image-path", scratch, key.id});
    const int64_t took_ms = (MonotonicNanos() - started) / 1000000;
    ::close(*held);
    (void)RemoveTree(scratch);  // the handler writes nothing there; runc might have
    if (result.ok()) {
      log_.Info(who, ": periodic checkpoint done in ", took_ms, " ms");
    } else {
      log_.Warning(who, ": periodic checkpoint failed after ", took_ms, " ms: ", result.Why(),
                   "; the job goes on with its previous image, and is tried again at its next interval");
    }
    Report(key);
  }

  // The checkpoint of `key` ended (or was skipped): the loop schedules its next.
  void Report(const periodic::ContainerKey& key) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_.push_back({key, MonotonicNanos() / 1000000});
    }
    wake_.notify_all();
  }

  const HostConfig& config_;
  Logger& log_;
  CtrRunner ctr_;
  std::mt19937_64 random_{std::random_device{}()};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Finished> finished_;
  periodic::PeriodicSchedule schedule_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace tardis::node

#endif  // TARDIS_NODE_PERIODIC_CHECKPOINTER_H_
