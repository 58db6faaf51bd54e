// tardis-runc-handler, the full program behind tardis-runc: stands in for runc. The calls
// Tardis handles (create, start, checkpoint, resume, delete, restore) go to their handler;
// everything else, and every handler that decides not to act, becomes the real runc, by
// exec, with the identical argv.
//
// containerd runs tardis-runc's front-end (tardis_runc_frontend.cc), which execs the real
// runc itself for the calls Tardis certainly passes through, and this program, installed
// beside it, for all others, with the identical argv and environment.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <absl/strings/str_join.h>

#include "cmd/frontend_marker.h"
#include "tardis/config/load_host_config.h"
#include "tardis/lifecycle/checkpoint.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/delete.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/restore.h"
#include "tardis/lifecycle/resume.h"
#include "tardis/lifecycle/start.h"
#include "tardis/log/call_clock.h"
#include "tardis/log/logger.h"
#include "tardis/runc/classify.h"
#include "tardis/runc/route.h"
#include "tardis/runtime/real_runc.h"
#include "tardis/state/state_store.h"

namespace {

// Only when no runc can run at all does tardis-runc speak for itself on stderr.
int Refuse(tardis::Logger& log, int exit_code, const std::string& message) {
  log.Error(message);
  std::fprintf(stderr, "tardis-runc: %s\n", message.c_str());
  return exit_code;
}

tardis::Outcome Dispatch(tardis::runc::Route route, const tardis::Node& node,
                         const tardis::runc::Invocation& call) {
  using tardis::runc::Route;
  switch (route) {
    case Route::kCreate: return tardis::HandleCreate(node, call);
    case Route::kStart: return tardis::HandleStart(node, call);
    case Route::kCheckpoint: return tardis::HandleCheckpoint(node, call);
    case Route::kResume: return tardis::HandleResume(node, call);
    case Route::kDelete: return tardis::HandleDelete(node, call);
    case Route::kRestore: return tardis::HandleRestore(node, call);
    case Route::kPassThrough: break;
  }
  return tardis::Outcome::PassThrough();
}

// RealRunc::Find() refuses this program as real_runc; the front-end must be refused too
// (it would exec this program again), under whatever name it is installed: it carries a
// marker in its first page.
bool IsFrontEnd(const std::string& path) {
  // Non-blocking: a FIFO named as real_runc must not hang every call.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return false;
  char head[tardis::kFrontEndMarkerWindow];
  size_t size = 0;
  while (size < sizeof head) {
    const ssize_t n = ::read(fd, head + size, sizeof head - size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<size_t>(n);
  }
  ::close(fd);
  return tardis::ContainsFrontEndMarker(head, size);
}

}  // namespace

int main(int argc, char** argv) {
  tardis::CallClock clock("config");
  const tardis::ParsedHostConfig host = tardis::LoadHostConfig();
  tardis::Logger log("tardis-runc", host.config.log_file, host.config.log_level);
  for (const std::string& problem : host.problems) log.Warning(problem);

  absl::StatusOr<tardis::RealRunc> runc = tardis::RealRunc::Find(host.config.real_runc);
  if (!runc.ok()) {
    return Refuse(log, absl::IsFailedPrecondition(runc.status()) ? 1 : 127,
                  std::string(runc.status().message()));
  }
  if (IsFrontEnd(runc->path())) {
    return Refuse(log, 1, "real_runc (" + runc->path() +
                              ") is tardis-runc itself; set real_runc in the Tardis config to the real runc");
  }

  clock.Enter("classify");
  const std::vector<std::string> args(argv + 1, argv + argc);
  const tardis::runc::Invocation call = tardis::runc::Classify(args);
  const tardis::runc::Route route = tardis::runc::RouteOf(call);
  if (route != tardis::runc::Route::kPassThrough) {
    log.Info("received: ", absl::StrJoin(args, " "));
    const tardis::StateStore state(host.config.state_dir);
    const tardis::Node node{host.config, log, *runc, state, clock};
    const tardis::Outcome outcome = Dispatch(route, node, call);
    if (log.Enabled(tardis::LogLevel::kInfo)) log.Info("time: ", call.command_name, ": ", clock.Summary());
    if (!outcome.pass_through()) {
      log.Info("done: exit ", outcome.exit_code());
      return outcome.exit_code();
    }
    log.Info("running: ", runc->path(), " ", absl::StrJoin(args, " "));
  } else if (log.Enabled(tardis::LogLevel::kDebug)) {
    log.Debug("pass-through: ", absl::StrJoin(args, " "),
              call.understood ? "" : " [not understood: " + call.problem + "]");
  }

  const int error = runc->ExecReplacing(argv);
  return Refuse(log, 127, "exec " + runc->path() + ": " + std::strerror(error));
}
