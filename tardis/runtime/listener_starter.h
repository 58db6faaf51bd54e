// Starts tardis-listen when an opted-in container is created and none is alive, so exit
// codes are recorded on nodes where nobody installed the service.
//
// The listener must not belong to the call that started it: containerd waits for the
// shim's runc calls and their stdio, so the listener is double-forked into its own
// session with no inherited descriptors and /dev/null as stdio. Under containerd it is
// then adopted by the shim of the container whose create started it (shims are child
// subreapers): holding none of the shim's descriptors, it is never waited for, and the
// shim reaps it if it ends. Two creates racing here both start one; the listener lock
// keeps one and the other exits.
#ifndef TARDIS_RUNTIME_LISTENER_STARTER_H_
#define TARDIS_RUNTIME_LISTENER_STARTER_H_

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/config/host_config.h"
#include "tardis/listener/listener_lock.h"
#include "tardis/log/logger.h"
#include "tardis/sys/files.h"

namespace tardis {

// The configured tardis-listen, or the one installed beside the running binary.
inline std::string ListenBinary(const HostConfig& config) {
  if (!config.tardis_listen.empty()) return config.tardis_listen;
  const std::string self = SelfExecutable();
  if (self.empty()) return "";
  return absl::StrCat(self.substr(0, self.rfind('/')), "/tardis-listen");
}

inline void EnsureListenerRunning(const HostConfig& config, Logger& log) {
  if (ListenerAlive(config.state_dir)) return;
  const std::string binary = ListenBinary(config);
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) {
    log.Warning("tardis-listen is not running and cannot be started (", binary,
                " is missing): exit codes will not be recorded, images will be kept");
    return;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    log.Warning("cannot start tardis-listen: fork failed");
    return;
  }
  if (child == 0) {
    // The intermediate child: a new session, then a grandchild that nobody waits for.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::syscall(SYS_close_range, 3, ~0U, 0);
    if (::chdir("/") != 0) ::_exit(127);
    char* const argv[] = {const_cast<char*>(binary.c_str()), nullptr};
    ::execv(binary.c_str(), argv);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  log.Info("started ", binary);
}

}  // namespace tardis

#endif  // TARDIS_RUNTIME_LISTENER_STARTER_H_
