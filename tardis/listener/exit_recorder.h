// RecordExit(): what tardis-listen does with one /tasks/exit of a container's own
// process: write its exit code into the container's state, if the container is opted
// in and the event is not older than the container itself (an exit of an earlier
// container with the same id, arriving late, must not speak for the new one).
#ifndef TARDIS_LISTENER_EXIT_RECORDER_H_
#define TARDIS_LISTENER_EXIT_RECORDER_H_

#include <string>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "tardis/events/exit_event.h"
#include "tardis/events/identifier.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/clock.h"

namespace tardis {

enum class ExitRecorded { kRecorded, kNotOptedIn, kStale, kFailed };

struct ExitRecordResult {
  ExitRecorded what;
  std::string detail;  // for the log
};

inline ExitRecordResult RecordExit(const StateStore& store, const events::ExitLineMatch& match) {
  if (!events::IsContainerdIdentifier(match.ns) || !events::IsContainerdIdentifier(match.exit.container_id)) {
    return {ExitRecorded::kNotOptedIn, "identifiers unusable as state keys"};
  }
  ContainerState state = store.For(match.ns, match.exit.container_id);
  const ExitRecord exit{match.exit.exit_status, match.exit.exited_at_unix_nanos,
                        match.event_unix_nanos, NowUnixNanos()};
  bool stale = false;
  const absl::Status written = state.RecordExit(exit, [&](const ContainerRecord& record) {
    stale = match.event_unix_nanos < record.created_unix_nanos;
    return stale ? absl::FailedPreconditionError("stale") : absl::OkStatus();
  });
  if (stale) return {ExitRecorded::kStale, "the event predates the container's creation"};
  if (absl::IsNotFound(written)) return {ExitRecorded::kNotOptedIn, "deleted meanwhile"};
  if (!written.ok()) return {ExitRecorded::kFailed, std::string(written.message())};
  return {ExitRecorded::kRecorded, absl::StrCat("exit status ", exit.exit_status)};
}

}  // namespace tardis

#endif  // TARDIS_LISTENER_EXIT_RECORDER_H_
