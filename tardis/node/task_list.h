// ParseTaskList(): what `ctr -n NS tasks ls` printed, as tasks by id.
//
// tardisctl talks to containerd only through ctr (no gRPC library is available offline),
// so the state of every task it acts on comes from this table. ctr 1.6 and 1.7 print it
// with Go's tabwriter: a header `TASK PID STATUS`, then one line per task, columns padded
// with spaces (trailing spaces on the header). Anything else in the text means ctr is not
// what tardisctl expects, and the caller must not guess: the whole parse fails.
#ifndef TARDIS_NODE_TASK_LIST_H_
#define TARDIS_NODE_TASK_LIST_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/events/identifier.h"

namespace tardis::node {

struct TaskEntry {
  std::string id;
  int64_t pid = 0;
  std::string status;  // RUNNING, PAUSED, STOPPED, CREATED, PAUSING, UNKNOWN, ...

  bool operator==(const TaskEntry&) const = default;
};

// The task states in which a container's processes exist and can be checkpointed.
inline bool IsLive(absl::string_view status) { return status == "RUNNING" || status == "PAUSED"; }

inline absl::StatusOr<std::map<std::string, TaskEntry>> ParseTaskList(absl::string_view text) {
  std::map<std::string, TaskEntry> tasks;
  bool header_seen = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const auto bad = [&](absl::string_view why) {
      return absl::DataLossError(absl::StrCat("`ctr tasks ls` line ", number, ": ", why, ": ", line));
    };
    if (!header_seen) {
      if (fields.size() != 3 || fields[0] != "TASK" || fields[1] != "PID" || fields[2] != "STATUS") {
        return bad("expected the header TASK PID STATUS");
      }
      header_seen = true;
      continue;
    }
    if (fields.size() != 3) return bad("expected 3 columns");
    TaskEntry entry;
    entry.id = std::string(fields[0]);
    if (!events::IsContainerdIdentifier(entry.id)) return bad("not a task id");
    if (!absl::SimpleAtoi(fields[1], &entry.pid) || entry.pid < 0) return bad("not a pid");
    for (char c : fields[2]) {
      if (!absl::ascii_isupper(static_cast<unsigned char>(c))) return bad("not a task status");
    }
    entry.status = std::string(fields[2]);
    if (!tasks.emplace(entry.id, entry).second) return bad("task listed twice");
  }
  if (!header_seen) return absl::DataLossError("`ctr tasks ls` printed no header");
  return tasks;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_TASK_LIST_H_
