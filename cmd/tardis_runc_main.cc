// tardis-runc: stands in for runc. Calls Tardis handles go to their handler; every
// other call becomes the real runc, by exec, with the identical argv.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <absl/strings/str_join.h>

#include "tardis/config/load_host_config.h"
#include "tardis/log/logger.h"
#include "tardis/runc/classify.h"
#include "tardis/runc/route.h"
#include "tardis/runtime/real_runc.h"

namespace {

// Only when no runc can run at all does tardis-runc speak for itself on stderr.
int Refuse(tardis::Logger& log, int exit_code, const std::string& message) {
  log.Error(message);
  std::fprintf(stderr, "tardis-runc: %s\n", message.c_str());
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const tardis::ParsedHostConfig host = tardis::LoadHostConfig();
  tardis::Logger log("tardis-runc", host.config.log_file, host.config.log_level);
  for (const std::string& problem : host.problems) log.Warning(problem);

  absl::StatusOr<tardis::RealRunc> runc = tardis::RealRunc::Find(host.config.real_runc);
  if (!runc.ok()) {
    return Refuse(log, absl::IsFailedPrecondition(runc.status()) ? 1 : 127,
                  std::string(runc.status().message()));
  }

  const std::vector<std::string> args(argv + 1, argv + argc);
  const tardis::runc::Invocation invocation = tardis::runc::Classify(args);
  const tardis::runc::Route route = tardis::runc::RouteOf(invocation);
  if (log.Enabled(tardis::LogLevel::kDebug)) {
    log.Debug("pass-through (", tardis::runc::RouteName(route), "): ", absl::StrJoin(args, " "),
              invocation.understood ? "" : " [not understood: " + invocation.problem + "]");
  }

  const int error = runc->ExecReplacing(argv);
  return Refuse(log, 127, "exec " + runc->path() + ": " + std::strerror(error));
}
