// start: a container restored at create is already there, so containerd's start must
// not run it again: it continues the restored tasks, held stopped since the restore
// (container/criu_config_hold.h), or, restored running, does nothing. Every other start
// is runc's.
#ifndef TARDIS_LIFECYCLE_START_H_
#define TARDIS_LIFECYCLE_START_H_

#include <absl/status/statusor.h>

#include "tardis/container/continue_processes.h"
#include "tardis/container/runc_state.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"

namespace tardis {

namespace start_internal {

// SIGCONT to the tasks of the container runc knows as call's id; how many.
inline absl::StatusOr<int> ContinueRestored(const Node& node, const runc::Invocation& call) {
  absl::StatusOr<RunResult> state = QueryRunc(node, call, {"state", call.id()});
  if (!state.ok()) return state.status();
  if (state->exit_code != 0) return absl::NotFoundError("runc does not know the container");
  absl::StatusOr<int> init = container::InitPidFromRuncStateOutput(state->stdout_text);
  if (!init.ok()) return init.status();
  return container::ContinueContainerProcesses(*init);
}

}  // namespace start_internal

inline Outcome HandleStart(const Node& node, const runc::Invocation& call) {
  node.clock.Enter("skip flag");
  if (!HasValidIdentity(call)) return Outcome::PassThrough();
  ContainerState state = node.state.For(call.ns, call.id());
  if (!state.Consume(Flag::kSkipStart)) return Outcome::PassThrough();
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  if (!state.Consume(Flag::kContinueAtStart)) {
    node.log.Info(who, ": start skipped, the container was restored running at create");
    return Outcome::Exit(0);
  }
  node.clock.Enter("continue");
  const absl::StatusOr<int> continued = start_internal::ContinueRestored(node, call);
  if (!continued.ok()) {
    // runc would refuse the start too (the container is there): say why it stays stopped.
    node.log.Error(who, ": the restored container could not be continued: ", continued.status().message());
    return Outcome::Exit(1);
  }
  node.log.Info(who, ": started: continued the restored container's ", *continued, " process(es)");
  return Outcome::Exit(0);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_START_H_
