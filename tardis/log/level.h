// Log levels, by the names operators write in tardis.conf.
#ifndef TARDIS_LOG_LEVEL_H_
#define TARDIS_LOG_LEVEL_H_

#include <optional>

#include <absl/strings/ascii.h>
#include <absl/strings/string_view.h>

namespace tardis {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

inline absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "ERROR";
}

// "DEBUG", "info", "Warning", ... (case-insensitive); nullopt for anything else.
inline std::optional<LogLevel> ParseLogLevel(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (upper == LogLevelName(level)) return level;
  }
  return std::nullopt;
}

}  // namespace tardis

#endif  // TARDIS_LOG_LEVEL_H_
