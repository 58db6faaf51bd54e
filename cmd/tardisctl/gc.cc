// tardisctl gc: what crashed checkpoints and restores left on this node.
#include <iostream>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "cmd/tardisctl/command.h"
#include "tardis/node/leftovers.h"
#include "tardis/sys/clock.h"

namespace tardisctl {
namespace {

const node::CommandSpec kSpec = {
    .name = "gc",
    .summary = "remove what crashed checkpoints and restores left on this node",
    .about =
        "Removes what checkpoints and restores that crashed left on this node: containers'\n"
        "state that could not be removed (mounts of a killed restore are detached first),\n"
        "tardis-listen's periodic scratch paths, and the staging images of this node's\n"
        "opted-in containers that no checkpoint is writing. tardis-listen does the same when\n"
        "it starts. Prints each path removed; exit status 1 when one could not be.\n",
    .options = {{"min-age", "SECONDS", "only state and scratch paths unchanged this long (default 60)"}},
};

int Run(Context& context, const node::ParsedOptions& options) {
  int64_t min_age_seconds = 60;
  if (options.has("min-age") && (!absl::SimpleAtoi(options.value_or("min-age", ""), &min_age_seconds) ||
                                  min_age_seconds < 0 || min_age_seconds > 365 * 86400)) {
    return UsageError("gc", "--min-age must be a number of seconds");
  }
  const node::LeftoversCollected collected =
      node::CollectLeftovers(context.host.config.state_dir, context.host.config.AllowedRoots(), tardis::NowUnixNanos(),
                             min_age_seconds * 1000000000);
  for (const std::string& path : collected.removed) {
    std::cout << "removed " << path << "\n";
    context.Log(tardis::LogLevel::kInfo, absl::StrCat("gc: removed ", path));
  }
  for (const std::string& problem : collected.problems) {
    std::cerr << "tardisctl gc: " << problem << "\n";
    context.Log(tardis::LogLevel::kWarning, absl::StrCat("gc: ", problem));
  }
  return collected.problems.empty() ? 0 : 1;
}

}  // namespace

Command GcCommand() { return {kSpec, &Run}; }

}  // namespace tardisctl
