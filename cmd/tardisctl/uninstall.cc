// tardisctl uninstall: undoes what install recorded (node::Uninstall).
#include <iostream>

#include <absl/strings/str_cat.h>

#include "cmd/tardisctl/command.h"
#include "tardis/node/install.h"

namespace tardisctl {
namespace {

using Fields = node::UninstallOptions;

const std::vector<node::FieldOption<Fields>> kOptions = {
    {{"install-dir", "DIR", "the install record (default /var/lib/tardis/install)"}, &Fields::install_dir},
    {{"systemctl", "PATH", "the systemctl to run (default systemctl)"}, &Fields::systemctl},
};

const node::CommandSpec kSpec = {
    .name = "uninstall",
    .summary = "undo install exactly",
    .about =
        "Undoes what tardisctl install recorded: removes the binaries, the `runc` symlink and the\n"
        "unit it installed and puts back what they replaced; restores containerd's config byte\n"
        "for byte (if it was changed since install, takes out only the lines install marked);\n"
        "removes the host configuration install wrote unless it was changed since.\n",
    .options = node::SpecsOf(kOptions),
};

int Run(Context& context, const node::ParsedOptions& options) {
  node::UninstallOptions uninstall;
  node::SetFields(options, kOptions, &uninstall);
  const absl::Status undone = node::Uninstall(uninstall, [&](const std::string& line) {
    std::cout << line << "\n";
    context.Log(tardis::LogLevel::kInfo, absl::StrCat("uninstall: ", line));
  });
  if (!undone.ok()) return Failure("uninstall", undone.message());
  return 0;
}

}  // namespace

Command UninstallCommand() { return {kSpec, &Run}; }

}  // namespace tardisctl
