// The container's status as runc reports it ("created", "running", "paused",
// "stopped"), for decisions that depend on it.
#ifndef TARDIS_LIFECYCLE_RUNC_STATUS_H_
#define TARDIS_LIFECYCLE_RUNC_STATUS_H_

#include <string>

#include <absl/status/statusor.h>

#include "tardis/container/runc_state.h"
#include "tardis/lifecycle/handler.h"

namespace tardis {

inline absl::StatusOr<std::string> QueryRuncStatus(const Node& node, const runc::Invocation& call) {
  absl::StatusOr<RunResult> state = QueryRunc(node, call, {"state", call.id()});
  if (!state.ok()) return state.status();
  if (state->exit_code != 0) return absl::NotFoundError("runc does not know the container");
  return container::StatusFromRuncStateOutput(state->stdout_text);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_RUNC_STATUS_H_
