// tardisctl: the node CLI. `finalize` checkpoints and stops every opted-in running
// container (what a spot-reclaim warning triggers), `status` shows them and their images,
// `install`/`uninstall` make containerd use tardis-runc and undo it, `log` changes the log
// settings, `watch` runs finalize by itself on a cloud's spot notice, `gc` removes what
// crashed attempts left. One file per command beside this one; the logic is in
// tardis/node and tardis/watch. This file reads tardisctl's own options and dispatches.
//
// Every error is one line on stderr and a non-zero exit status (2 for a usage error).
#include <iostream>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "cmd/tardisctl/command.h"
#include "tardis/config/load_host_config.h"
#include "tardis/node/options.h"
#include "tardis/node/options_help.h"

namespace tardisctl {
namespace {

std::string Usage(const std::vector<Command>& commands) {
  std::vector<const node::CommandSpec*> specs;
  for (const Command& command : commands) specs.push_back(&command.spec);
  return absl::StrCat(
      "usage: tardisctl [--config FILE] COMMAND [options]\n"
      "\n"
      "The Tardis node CLI. Reads the host configuration from --config, else $TARDIS_CONFIG,\n"
      "else /etc/tardis/tardis.conf.\n"
      "\n"
      "commands:\n",
      node::CommandList(specs),
      "\n"
      "`tardisctl COMMAND --help` describes a command and its options.\n");
}

int Main(const std::vector<std::string>& args) {
  const std::vector<Command> commands = {FinalizeCommand(),  StatusCommand(), InstallCommand(), UninstallCommand(),
                                         LogCommand(), WatchCommand(),  GcCommand()};
  std::string config_path = tardis::HostConfigPath();
  size_t at = 0;
  while (at < args.size() && absl::StartsWith(args[at], "-")) {
    const std::string& arg = args[at];
    if (arg == "-h" || arg == "--help") {
      std::cout << Usage(commands);
      return 0;
    }
    if (arg == "--config" || absl::StartsWith(arg, "--config=")) {
      std::string value;
      if (arg == "--config") {
        if (at + 1 >= args.size()) return UsageError("", "--config needs a value");
        value = args[at + 1];
        at += 2;
      } else {
        value = arg.substr(sizeof("--config=") - 1);
        ++at;
      }
      if (value.empty() || value.front() != '/') {
        return UsageError("", absl::StrCat("--config must be an absolute path, not `", value, "`"));
      }
      config_path = value;
      continue;
    }
    return UsageError("", absl::StrCat("unknown option ", arg));
  }
  if (at >= args.size()) return UsageError("", "no command given");

  const std::string& name = args[at];
  if (name == "help") {
    std::cout << Usage(commands);
    return 0;
  }
  for (const Command& command : commands) {
    if (name != command.spec.name) continue;
    const std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
    absl::StatusOr<node::ParsedOptions> options = node::ParseOptions(rest, command.spec.options);
    if (!options.ok()) return UsageError(name, options.status().message());
    if (options->help) {
      std::cout << node::FormatHelp("tardisctl", command.spec);
      return 0;
    }
    Context context(config_path);
    return command.run(context, *options);
  }
  return UsageError("", absl::StrCat("unknown command `", name, "`"));
}

}  // namespace
}  // namespace tardisctl

int main(int argc, char** argv) { return tardisctl::Main(std::vector<std::string>(argv + 1, argv + argc)); }
