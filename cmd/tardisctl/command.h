// What every tardisctl command shares: the host configuration and the log (Context), the
// two ways a command fails (a usage error, exit 2; a failure, exit 1), and the shape of a
// command (its spec, which both parses its options and makes its --help, and its run).
#ifndef CMD_TARDISCTL_COMMAND_H_
#define CMD_TARDISCTL_COMMAND_H_

#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/str_replace.h>
#include <absl/strings/string_view.h>

#include "tardis/config/load_host_config.h"
#include "tardis/log/logger.h"
#include "tardis/node/ctr.h"
#include "tardis/node/options.h"
#include "tardis/node/options_help.h"

namespace tardisctl {

namespace node = ::tardis::node;

// One line: newlines in a message would break "one error, one line".
inline std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(text), {{"\n", "; "}});
}

// `command` is "" for tardisctl's own options.
inline int UsageError(const std::string& command, absl::string_view message) {
  std::cerr << "tardisctl" << (command.empty() ? "" : " ") << command << ": " << OneLine(message) << " (see tardisctl "
            << (command.empty() ? "" : command + " ") << "--help)\n";
  return 2;
}

inline int Failure(const std::string& command, absl::string_view message) {
  std::cerr << "tardisctl " << command << ": " << OneLine(message) << "\n";
  return 1;
}

// The host configuration and the log, shared by the commands.
struct Context {
  std::string config_path;
  tardis::ParsedHostConfig host;
  std::unique_ptr<tardis::Logger> log;
  std::mutex log_mutex;  // finalize logs from several threads

  explicit Context(std::string path) : config_path(std::move(path)), host(tardis::LoadHostConfig(config_path)) {
    log = std::make_unique<tardis::Logger>("tardisctl", host.config.log_file, host.config.log_level);
    for (const std::string& problem : host.problems) Log(tardis::LogLevel::kWarning, problem);
  }

  void Log(tardis::LogLevel level, const std::string& message) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log->Log(level, message);
  }

  node::CtrClient Ctr(const node::ParsedOptions& options) const {
    return node::CtrClient(host.config.ctr, options.value_or("address", host.config.containerd_address));
  }
};

struct Command {
  const node::CommandSpec& spec;
  int (*run)(Context&, const node::ParsedOptions&);
};

// One per file of cmd/tardisctl/, in the order `tardisctl --help` lists them.
Command FinalizeCommand();
Command StatusCommand();
Command InstallCommand();
Command UninstallCommand();
Command LogCommand();
Command WatchCommand();
Command GcCommand();

}  // namespace tardisctl

#endif  // CMD_TARDISCTL_COMMAND_H_
