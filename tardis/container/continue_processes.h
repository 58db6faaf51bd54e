// ContinueContainerProcesses(): SIGCONT to the processes of the container whose init is
// `init_pid`, held stopped since its restore (criu_config_hold.h). CRIU stops every
// restored task, so every process of the container is continued: those in init's pid
// namespace when that is not this program's (containerd gives each container its own),
// otherwise init alone. They are all listed before any is continued: until then nothing
// in the container runs, so the set cannot change while it is listed.
#ifndef TARDIS_CONTAINER_CONTINUE_PROCESSES_H_
#define TARDIS_CONTAINER_CONTINUE_PROCESSES_H_

#include <signal.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/directory_entries.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis::container {

namespace continue_internal {

inline std::optional<std::string> PidNamespaceOf(const std::string& proc, absl::string_view pid) {
  return SymlinkTarget(absl::StrCat(proc, "/", pid, "/ns/pid"));
}

}  // namespace continue_internal

// How many processes were continued; an error, with none continued, when init cannot be
// or the container's processes cannot all be listed.
inline absl::StatusOr<int> ContinueContainerProcesses(int init_pid, const std::string& proc = "/proc") {
  using continue_internal::PidNamespaceOf;
  const std::optional<std::string> init_ns = PidNamespaceOf(proc, absl::StrCat(init_pid));
  const std::optional<std::string> own_ns = PidNamespaceOf(proc, "self");
  // Listed before any is continued, while none of them can fork or exit.
  std::vector<int> others;
  if (init_ns && own_ns && *init_ns != *own_ns) {
    const absl::Status listed = ForEachDirectoryEntry(proc, [&](const DirectoryEntry& entry) {
      int pid = 0;
      if (!absl::SimpleAtoi(entry.name(), &pid) || pid <= 0 || pid == init_pid) return;
      if (PidNamespaceOf(proc, entry.name()) == init_ns) others.push_back(pid);
    });
    // Some of the container would stay stopped: start says so rather than run part of it.
    if (!listed.ok()) return listed;
  }
  if (::kill(init_pid, SIGCONT) != 0) return ErrnoStatus(errno, absl::StrCat("SIGCONT to pid ", init_pid));
  int continued = 1;
  for (const int pid : others) {
    if (::kill(pid, SIGCONT) == 0) ++continued;
  }
  return continued;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_CONTINUE_PROCESSES_H_
