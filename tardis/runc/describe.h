// Describe(): an Invocation as one line of text, for golden fixtures and log lines.
//   create ns=default id=p1 global[root=/r/default] options[bundle=/b] args[]
//   NOT UNDERSTOOD: unknown option: --foo
#ifndef TARDIS_RUNC_DESCRIBE_H_
#define TARDIS_RUNC_DESCRIBE_H_

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/runc/invocation.h"

namespace tardis::runc {

inline std::string Describe(const Invocation& invocation) {
  if (!invocation.understood) return absl::StrCat("NOT UNDERSTOOD: ", invocation.problem);
  const auto options = [](const std::vector<Option>& list) {
    return absl::StrJoin(list, " ", [](std::string* out, const Option& o) {
      absl::StrAppend(out, o.name(), "=", o.value);
    });
  };
  std::vector<std::string> args;
  for (const Word& w : invocation.args) args.push_back(w.text);
  std::string line = invocation.has_command() ? invocation.command_name : "(no command)";
  absl::StrAppend(&line, " ns=", invocation.ns);
  if (!invocation.container_id.empty()) absl::StrAppend(&line, " id=", invocation.id());
  absl::StrAppend(&line, " global[", options(invocation.global_options), "]");
  if (invocation.has_command()) {
    absl::StrAppend(&line, " options[", options(invocation.options), "] args[",
                    absl::StrJoin(args, " "), "]");
  }
  return line;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_DESCRIBE_H_
