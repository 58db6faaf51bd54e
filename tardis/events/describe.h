// Describe(): parse results as one line of text, for golden fixtures and log lines.
//   at=2026-11-29T02:52:56.929400799Z ns=default topic=/tasks/exit payload=125B
//   container_id=c1 id=c1 pid=6090 exit_status=137 exited_at=2026-11-29T02:52:55.269462191Z
//   RECORD ns=default container_id=c1 exit_status=137 pid=6090 exited_at=...
//   DROP exec exit: ns=other container_id=n1 id=ex1 exit_status=0 pid=7394
//   DROP not an exit: /tasks/start
//   ERROR INVALID_ARGUMENT: exit_status: string, not an unsigned integer
#ifndef TARDIS_EVENTS_DESCRIBE_H_
#define TARDIS_EVENTS_DESCRIBE_H_

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/events/event_line.h"
#include "tardis/events/exit_event.h"
#include "tardis/events/unix_nanos.h"

namespace tardis::events {

namespace describe_internal {

inline std::string Error(const absl::Status& status) {
  return absl::StrCat("ERROR ", status.ToString());
}

inline std::string Time(int64_t unix_nanos) {
  return unix_nanos == 0 ? "unknown" : FormatUnixNanos(unix_nanos);
}

}  // namespace describe_internal

inline std::string Describe(const absl::StatusOr<EventLine>& event) {
  if (!event.ok()) return describe_internal::Error(event.status());
  return absl::StrCat("at=", FormatUnixNanos(event->unix_nanos), " ns=", event->ns,
                      " topic=", event->topic, " payload=", event->payload.size(), "B");
}

inline std::string Describe(const absl::StatusOr<ExitEvent>& exit) {
  if (!exit.ok()) return describe_internal::Error(exit.status());
  return absl::StrCat("container_id=", exit->container_id, " id=", exit->id, " pid=", exit->pid,
                      " exit_status=", exit->exit_status,
                      " exited_at=", describe_internal::Time(exit->exited_at_unix_nanos));
}

inline std::string Describe(const absl::StatusOr<ExitLineMatch>& match) {
  if (!match.ok()) return describe_internal::Error(match.status());
  const ExitEvent& exit = match->exit;
  switch (match->kind) {
    case ExitLineKind::kRecord:
      return absl::StrCat("RECORD ns=", match->ns, " container_id=", exit.container_id,
                          " exit_status=", exit.exit_status, " pid=", exit.pid,
                          " exited_at=", describe_internal::Time(exit.exited_at_unix_nanos));
    case ExitLineKind::kExecExit:
      return absl::StrCat("DROP exec exit: ns=", match->ns, " container_id=", exit.container_id,
                          " id=", exit.id, " exit_status=", exit.exit_status, " pid=", exit.pid);
    case ExitLineKind::kNotExit:
      return absl::StrCat("DROP not an exit: ", match->topic);
  }
  return "?";
}

}  // namespace tardis::events

#endif  // TARDIS_EVENTS_DESCRIBE_H_
