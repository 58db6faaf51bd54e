// tardisctl status: the node's opted-in containers, their images, and tardis-listen.
#include <iostream>

#include "cmd/tardisctl/command.h"
#include "cmd/tardisctl/finalize_node.h"
#include "tardis/image/image_key.h"
#include "tardis/node/report.h"
#include "tardis/node/status.h"

namespace tardisctl {
namespace {

const node::CommandSpec kSpec = {
    .name = "status",
    .summary = "opted-in containers, their tasks and images, and tardis-listen",
    .about =
        "Shows whether tardis-listen is alive, every opted-in container on this node with its\n"
        "task's state (from ctr tasks ls) and its checkpoint image (valid?, size, age), and the\n"
        "images that finalize saved of containers it has deleted.\n",
    .options = {kAddressOption, kJsonOption},
};

int Run(Context& context, const node::ParsedOptions& options) {
  const node::StatusReport report = node::GatherStatus(context.host.config.state_dir, context.Ctr(options),
                                                       tardis::LoadImageKey(context.host.config.image_key_file));
  if (options.has("json")) {
    std::cout << node::JsonText(node::StatusJson(report));
  } else {
    std::cout << node::FormatStatusTable(report);
  }
  return 0;
}

}  // namespace

Command StatusCommand() { return {kSpec, &Run}; }

}  // namespace tardisctl
