// The container's status as runc reports it ("created", "running", "paused",
// "stopped"), for decisions that depend on it.
#ifndef TARDIS_RUNTIME_RUNC_STATUS_H_
#define TARDIS_RUNTIME_RUNC_STATUS_H_

#include <string>

#include <absl/status/statusor.h>

#include "tardis/container/runc_state.h"
#include "tardis/log/logger.h"
#include "tardis/runc/invocation.h"
#include "tardis/runtime/real_runc.h"
#include "tardis/runtime/runc_query.h"

namespace tardis {

inline absl::StatusOr<std::string> QueryRuncStatus(const RealRunc& runc, Logger& log, const runc::Invocation& call) {
  absl::StatusOr<RunResult> state = QueryRunc(runc, log, call, {"state", call.id()});
  if (!state.ok()) return state.status();
  if (state->exit_code != 0) return absl::NotFoundError("runc does not know the container");
  return container::StatusFromRuncStateOutput(state->stdout_text);
}

}  // namespace tardis

#endif  // TARDIS_RUNTIME_RUNC_STATUS_H_
