// tardisctl finalize: what a spot-reclaim notice triggers.
#include <iostream>

#include <absl/strings/str_cat.h>

#include "cmd/tardisctl/command.h"
#include "cmd/tardisctl/finalize_node.h"
#include "tardis/node/report.h"
#include "tardis/watch/timestamps.h"

namespace tardisctl {
namespace {

const node::CommandSpec kSpec = {
    .name = "finalize",
    .summary = "checkpoint and stop every opted-in running container (spot-reclaim notice)",
    .about =
        "Checkpoints every opted-in container on this node whose task is running or paused,\n"
        "through containerd (Tardis's checkpoint handler saves it and stops it), removes\n"
        "containerd's own checkpoint image, and deletes the task and the container. A container\n"
        "whose checkpoint fails is left running and reported. Running it again is harmless.\n"
        "Smallest expected image first (its last image's size, else its memory use); with a\n"
        "deadline, a container that would not be saved before it is not started (skipped).\n",
    .options = {kAddressOption,
                kParallelOption,
                {"deadline", "TIME", "when the node goes, RFC 3339 (2026-12-03T17:02:00Z)"},
                kJsonOption},
    .footer = "exit status: 0 when no container failed, 1 when one did, 2 for a usage error.\n",
};

int Run(Context& context, const node::ParsedOptions& options) {
  node::FinalizeOptions finalize;
  if (std::string bad = FinalizeOptionsFrom(context, options, &finalize); !bad.empty()) {
    return UsageError("finalize", bad);
  }
  if (options.has("deadline")) {
    absl::StatusOr<int64_t> deadline = tardis::watch::ParseRfc3339(options.value_or("deadline", ""));
    if (!deadline.ok()) return UsageError("finalize", absl::StrCat("--deadline: ", deadline.status().message()));
    finalize.deadline_unix_nanos = *deadline;
  }
  const node::FinalizeReport report = FinalizeNode(context, options, finalize);
  if (options.has("json")) {
    std::cout << node::JsonText(node::FinalizeJson(report));
  } else {
    std::cout << node::FormatFinalizeTable(report);
  }
  std::cout.flush();
  return report.ExitCode();
}

}  // namespace

Command FinalizeCommand() { return {kSpec, &Run}; }

}  // namespace tardisctl
