// ProcessStartTicks(): when a process started (field 22 of /proc/<pid>/stat, clock ticks
// since boot). A pid alone is reused; a pid with its start time names one process, so a
// record can say "this runc" and be checked later without mistaking another for it.
#ifndef TARDIS_SYS_PROCESS_START_H_
#define TARDIS_SYS_PROCESS_START_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/files.h"

namespace tardis {

// `stat`: /proc/<pid>/stat's text. The command name (field 2) may hold spaces and ')'.
inline std::optional<uint64_t> StartTicksFromStat(absl::string_view stat) {
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos) return std::nullopt;
  const std::vector<absl::string_view> fields = absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state): field 22 is fields[19].
  uint64_t ticks = 0;
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &ticks)) return std::nullopt;
  return ticks;
}

inline std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  absl::StatusOr<std::string> stat = ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"), 4096);
  if (!stat.ok()) return std::nullopt;
  return StartTicksFromStat(*stat);
}

// Whether the process `pid` that started at `start_ticks` is still there (a zombie
// counts: it has not been reaped, so its pid is not reused yet).
inline bool SameProcessAlive(pid_t pid, uint64_t start_ticks) {
  const std::optional<uint64_t> now = ProcessStartTicks(pid);
  return now && *now == start_ticks;
}

}  // namespace tardis

#endif  // TARDIS_SYS_PROCESS_START_H_
