// tardisctl log: shows or changes log_level and log_file in the host configuration, one
// line each (node/host_config_edit.h), every other byte as it was.
#include <iostream>

#include <absl/strings/str_cat.h>

#include "cmd/tardisctl/command.h"
#include "tardis/config/load_host_config.h"
#include "tardis/log/level.h"
#include "tardis/node/host_config_edit.h"
#include "tardis/sys/files.h"
#include "tardis/sys/files.h"

namespace tardisctl {
namespace {

const node::CommandSpec kSpec = {
    .name = "log",
    .summary = "show or change log_level and log_file in the host configuration",
    .about =
        "Without options, prints log_level and log_file. With them, sets them in the host\n"
        "configuration file, changing only that line (added when absent); every other byte of\n"
        "the file stays as it is. The running binaries read the file on every call.\n",
    .options = {{"level", "LEVEL", "DEBUG, INFO, WARNING or ERROR"}, {"file", "PATH", "the log file (an absolute path)"}},
};

int Run(Context& context, const node::ParsedOptions& options) {
  const std::string& path = context.config_path;
  if (!options.has("level") && !options.has("file")) {
    const bool exists = tardis::Exists(path);
    std::cout << "log_level = " << tardis::LogLevelName(context.host.config.log_level) << "\n"
              << "log_file = " << context.host.config.log_file << "\n"
              << (exists ? absl::StrCat("(from ", path, ")") : absl::StrCat("(defaults: ", path, " does not exist)"))
              << "\n";
    return 0;
  }
  std::string level;
  if (options.has("level")) {
    absl::StatusOr<std::string> canonical = node::CanonicalLogLevel(options.value_or("level", ""));
    if (!canonical.ok()) return UsageError("log", canonical.status().message());
    level = *canonical;
  }
  const std::string file = options.value_or("file", "");
  if (options.has("file")) {
    if (absl::Status valid = node::ValidateLogFile(file); !valid.ok()) return UsageError("log", valid.message());
  }
  absl::StatusOr<std::optional<std::string>> text = tardis::ReadIfExists(path, tardis::kMaxConfigBytes);
  if (!text.ok()) return Failure("log", text.status().message());
  std::string edited = text->value_or("");
  if (!level.empty()) edited = node::SetHostConfigValue(edited, "log_level", level);
  if (!file.empty()) edited = node::SetHostConfigValue(edited, "log_file", file);
  if (!text->has_value()) {
    if (absl::Status made = tardis::MakeDirectories(tardis::DirName(path), 0755); !made.ok()) {
      return Failure("log", made.message());
    }
  }
  if (absl::Status written = tardis::ReplaceFileKeepingMode(path, edited, 0644); !written.ok()) {
    return Failure("log", written.message());
  }
  const tardis::HostConfig now = tardis::ParseHostConfig(edited).config;
  std::cout << "log_level = " << tardis::LogLevelName(now.log_level) << "\n"
            << "log_file = " << now.log_file << "\n"
            << "(written to " << path << ")\n";
  context.Log(tardis::LogLevel::kInfo,
              absl::StrCat("log settings changed in ", path, ": log_level = ", tardis::LogLevelName(now.log_level),
                           ", log_file = ", now.log_file));
  return 0;
}

}  // namespace

Command LogCommand() { return {kSpec, &Run}; }

}  // namespace tardisctl
