// What every handler is given, and what it decides.
//
// A handler either finishes the call itself (Outcome::Exit) or hands the original call,
// untouched, to the real runc (Outcome::PassThrough). Every failure of Tardis's own
// ends in PassThrough: a container behaves as if Tardis were not there.
#ifndef TARDIS_LIFECYCLE_HANDLER_H_
#define TARDIS_LIFECYCLE_HANDLER_H_

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_join.h>

#include "tardis/config/host_config.h"
#include "tardis/log/call_clock.h"
#include "tardis/log/logger.h"
#include "tardis/runc/invocation.h"
#include "tardis/runtime/criu_environment.h"
#include "tardis/runtime/real_runc.h"
#include "tardis/runtime/runc_query.h"
#include "tardis/state/state_store.h"

namespace tardis {

class Outcome {
 public:
  static Outcome Exit(int code) { return Outcome(false, code); }
  static Outcome PassThrough() { return Outcome(true, 0); }

  bool pass_through() const { return pass_through_; }
  int exit_code() const { return exit_code_; }

 private:
  Outcome(bool pass_through, int code) : pass_through_(pass_through), exit_code_(code) {}
  bool pass_through_;
  int exit_code_;
};

// The node-wide services a handler works with.
struct Node {
  const HostConfig& config;
  Logger& log;
  const RealRunc& runc;
  const StateStore& state;
  CallClock& clock;  // the call's steps, named as the handler enters them
};

// Starts the real runc with `invocation` as a child (stdio shared, so what runc prints
// reaches containerd unchanged) and logs the argv it ran. A command that drives CRIU
// gets the environment of criu_environment.h; any other, ours unchanged.
inline absl::StatusOr<Child> StartRunc(const Node& node, const runc::Invocation& invocation) {
  const std::vector<std::string> argv = runc::Rebuild(invocation);
  node.log.Info("running: ", node.runc.path(), " ", absl::StrJoin(argv, " "));
  node.clock.Enter(absl::StrCat("runc ", invocation.command_name));
  std::vector<std::string> criu_environment;
  const bool drives_criu = DrivesCriu(invocation.command_name);
  if (drives_criu) criu_environment = EnvironmentForCriu(environ);
  absl::StatusOr<Child> child = node.runc.Start(argv, drives_criu ? &criu_environment : nullptr);
  if (!child.ok()) node.log.Error("could not run runc: ", child.status().message());
  return child;
}

// Waits for a runc StartRunc() started: its exit code. A command that drives CRIU
// (checkpoint, restore) is bounded by criu_timeout_ms: a CRIU that died leaves runc
// waiting for ever, so past the bound runc is killed and the caller cleans up as after
// any failure.
inline absl::StatusOr<int> WaitForRunc(const Node& node, const runc::Invocation& invocation, Child& child) {
  absl::StatusOr<int> code =
      DrivesCriu(invocation.command_name) ? child.WaitFor(node.config.criu_timeout_ms) : child.Wait();
  if (!code.ok()) node.log.Error("runc ", invocation.command_name, ": ", code.status().message());
  return code;
}

// The same, started and waited for.
inline absl::StatusOr<int> RunRunc(const Node& node, const runc::Invocation& invocation) {
  absl::StatusOr<Child> child = StartRunc(node, invocation);
  if (!child.ok()) return child.status();
  return WaitForRunc(node, invocation, *child);
}

// Tardis's own bookkeeping calls of runc for this call's container (runtime/runc_query.h).
inline absl::StatusOr<RunResult> QueryRunc(const Node& node, const runc::Invocation& call,
                                           const std::vector<std::string>& command) {
  return QueryRunc(node.runc, node.log, call, command);
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_HANDLER_H_
