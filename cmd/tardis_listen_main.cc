// tardis-listen: records the exit codes of opted-in containers from `ctr events`, so
// that delete knows which images are no longer needed. One per node; started on demand
// by tardis-runc, or run as a service (cmd/tardis-listen.service).
#include <unistd.h>

#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/config/load_host_config.h"
#include "tardis/listener/listen_loop.h"
#include "tardis/listener/listener_lock.h"
#include "tardis/log/logger.h"
#include "tardis/sys/files.h"

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

  tardis::ListenLoop loop(host.config, log);
  const int code = loop.Run();
  ::unlink(pid_file.c_str());
  return code;
}
