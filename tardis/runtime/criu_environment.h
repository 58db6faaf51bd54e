// The environment runc hands to CRIU when Tardis runs a checkpoint or a restore, and
// which runc commands those are (DrivesCriu).
//
// CRIU ends a dump (and a restore) by letting each task run out of its parasite code
// and stopping it again right at rt_sigreturn. By default it stops it with an x86
// hardware breakpoint; in some virtual machines that breakpoint is missed now and then,
// the task runs on, and CRIU waits for it forever (checkpoint-restore/criu#107, #162;
// seen here as a `runc checkpoint` hung in wait4 with its container back in nanosleep).
// Spot nodes are virtual machines, and a checkpoint that hangs during a reclaim notice
// loses the job. CRIU's documented switch FI_NO_BREAKPOINTS (CRIU_FAULT=130) makes it
// stop the task at the syscall instead: reliable everywhere, a few microseconds per
// thread slower. runc passes its environment on to CRIU unchanged.
//
// An administrator's own CRIU_FAULT, whatever its value, is left as it is.
#ifndef TARDIS_RUNTIME_CRIU_ENVIRONMENT_H_
#define TARDIS_RUNTIME_CRIU_ENVIRONMENT_H_

#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/string_view.h>

namespace tardis {

inline constexpr char kCriuNoBreakpoints[] = "CRIU_FAULT=130";

// Whether runc runs CRIU for `runc_command` (and so needs the environment below).
inline bool DrivesCriu(absl::string_view runc_command) {
  return runc_command == "checkpoint" || runc_command == "restore";
}

// `environment` (a NULL-terminated array like environ) with CRIU's hardware breakpoints
// switched off, unless it already says something about CRIU_FAULT.
inline std::vector<std::string> EnvironmentForCriu(const char* const* environment) {
  std::vector<std::string> result;
  bool has_criu_fault = false;
  for (const char* const* entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    result.emplace_back(*entry);
    if (absl::StartsWith(result.back(), "CRIU_FAULT=")) has_criu_fault = true;
  }
  if (!has_criu_fault) result.emplace_back(kCriuNoBreakpoints);
  return result;
}

}  // namespace tardis

#endif  // TARDIS_RUNTIME_CRIU_ENVIRONMENT_H_
