// Tardis's own bookkeeping calls of runc (pause, resume, state, kill, delete --force):
// `runc <global options> <command> <id>` with the caller's global options, stdout
// captured, stderr dropped, nothing reaching the caller.
#ifndef TARDIS_RUNTIME_RUNC_QUERY_H_
#define TARDIS_RUNTIME_RUNC_QUERY_H_

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_join.h>

#include "tardis/log/logger.h"
#include "tardis/runc/invocation.h"
#include "tardis/runtime/real_runc.h"

namespace tardis {

inline std::vector<std::string> QueryArgv(const runc::Invocation& call, const std::vector<std::string>& command) {
  std::vector<std::string> argv;
  for (const runc::Option& option : call.global_options) {
    for (const runc::Word& word : option.written) argv.push_back(word.text);
  }
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

inline absl::StatusOr<RunResult> QueryRunc(const RealRunc& runc, Logger& log, const runc::Invocation& call,
                                           const std::vector<std::string>& command) {
  const std::vector<std::string> argv = QueryArgv(call, command);
  log.Debug("querying: ", runc.path(), " ", absl::StrJoin(argv, " "));
  return runc.Query(argv);
}

}  // namespace tardis

#endif  // TARDIS_RUNTIME_RUNC_QUERY_H_
