// Reads the host configuration from $TARDIS_CONFIG or /etc/tardis/tardis.conf.
// A missing file means defaults; an unreadable one means defaults and a problem to log.
#ifndef TARDIS_CONFIG_LOAD_HOST_CONFIG_H_
#define TARDIS_CONFIG_LOAD_HOST_CONFIG_H_

#include <cstdlib>
#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/config/host_config.h"
#include "tardis/sys/files.h"

namespace tardis {

inline constexpr size_t kMaxConfigBytes = 64 * 1024;

inline std::string HostConfigPath() {
  const char* path = std::getenv(kConfigPathVariable);
  return path != nullptr && *path != '\0' ? path : kDefaultConfigPath;
}

inline ParsedHostConfig LoadHostConfig(const std::string& path = HostConfigPath()) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxConfigBytes);
  if (text.ok()) {
    ParsedHostConfig parsed = ParseHostConfig(*text);
    for (std::string& problem : parsed.problems) problem = absl::StrCat(path, ": ", problem);
    return parsed;
  }
  ParsedHostConfig defaults;
  if (!absl::IsNotFound(text.status())) {
    defaults.problems.push_back(
        absl::StrCat("cannot read ", path, ", using defaults: ", text.status().message()));
  }
  return defaults;
}

}  // namespace tardis

#endif  // TARDIS_CONFIG_LOAD_HOST_CONFIG_H_
