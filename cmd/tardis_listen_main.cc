// tardis-listen: records the exit codes of opted-in containers from `ctr events`, so
// that delete knows which images are no longer needed, keeps their checkpoint
// identities' leases fresh (node/lease_keeper.h) and takes their periodic checkpoints
// (node/periodic_checkpointer.h) beside that. One per node; started on
// demand by tardis-runc, or run as a service (cmd/tardis-listen.service).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <absl/strings/str_cat.h>

#include "tardis/config/load_host_config.h"
#include "tardis/listener/listen_loop.h"
#include "tardis/listener/listener_lock.h"
#include "tardis/image/image_key.h"
#include "tardis/log/logger.h"
#include "tardis/node/lease_keeper.h"
#include "tardis/node/leftovers.h"
#include "tardis/node/periodic_checkpointer.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"

namespace {

// Refreshes leases every third of the staleness bound until stopped.
class LeaseKeeper {
 public:
  LeaseKeeper(const tardis::HostConfig& config, tardis::Logger& log)
      : thread_([this, &config, &log] {
          const auto period = std::chrono::milliseconds(config.lease_stale_ms / 3);
          std::unique_lock<std::mutex> lock(mutex_);
          do {
            tardis::node::RefreshLeases(config.state_dir, config.AllowedRoots(), tardis::NowUnixNanos(),
                                        [&](const std::string& line) { log.Warning(line); });
          } while (!stop_.wait_for(lock, period, [this] { return stopping_; }));
        }) {}
  ~LeaseKeeper() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  const tardis::ParsedHostConfig host = tardis::LoadHostConfig();
  tardis::Logger log("tardis-listen", host.config.log_file, host.config.log_level);
  for (const std::string& problem : host.problems) log.Warning(problem);

  absl::StatusOr<tardis::ListenerLock> lock = tardis::ListenerLock::Acquire(host.config.state_dir);
  if (absl::IsAlreadyExists(lock.status())) {
    log.Info("another tardis-listen is running; exiting");
    return 0;
  }
  if (!lock.ok()) {
    log.Error("cannot take the listener lock: ", lock.status().message());
    return 1;
  }
  // For operators and tests; liveness itself is the lock, not this file.
  const std::string pid_file = absl::StrCat(host.config.state_dir, "/listener.pid");
  (void)tardis::WriteFileAtomically(pid_file, absl::StrCat(::getpid(), "\n"), 0644);
  log.Info("started (pid ", ::getpid(), ")");
  // Said once per node start: restores trust whoever can write the checkpoint storage.
  if (const tardis::ImageKey key = tardis::LoadImageKey(host.config.image_key_file); !key.signs()) {
    log.Warning(key.state == tardis::ImageKey::State::kNone
                    ? absl::StrCat("no image key (", host.config.image_key_file,
                                   "): images are not signed, and a restore trusts whoever can write the "
                                   "checkpoint storage")
                    : absl::StrCat("image key unusable: ", key.problem, "; no image will be restored"));
  }
  // What attempts that crashed while no listener ran left behind (node/leftovers.h).
  const tardis::node::LeftoversCollected leftovers =
      tardis::node::CollectLeftovers(host.config.state_dir, host.config.AllowedRoots(), tardis::NowUnixNanos(),
                                     int64_t{60} * 1000000000);
  for (const std::string& path : leftovers.removed) log.Info("removed a crashed attempt's leftover: ", path);
  for (const std::string& problem : leftovers.problems) log.Warning("leftovers: ", problem);

  tardis::ListenLoop loop(host.config, log);
  int code = 0;
  {
    LeaseKeeper leases(host.config, log);
    tardis::node::PeriodicCheckpointer periodic(host.config, log);
    code = loop.Run();
  }
  ::unlink(pid_file.c_str());
  return code;
}
