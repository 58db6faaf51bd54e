// GatherStatus(): the node as `tardisctl status` shows it. Every opted-in container (its
// record), with its task's state from `ctr tasks ls` and its image as a restore would
// judge it; the images finalize made of containers it has since deleted (the finalize
// journal), while they are still there; and whether tardis-listen is alive.
#ifndef TARDIS_NODE_STATUS_H_
#define TARDIS_NODE_STATUS_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>

#include "tardis/listener/listener_lock.h"
#include "tardis/node/ctr.h"
#include "tardis/node/image_info.h"
#include "tardis/node/opted_in.h"
#include "tardis/node/report.h"
#include "tardis/node/task_list.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"

namespace tardis::node {

inline StatusReport GatherStatus(const std::string& state_dir, const CtrClient& ctr, const ImageKey& image_key) {
  StatusReport report;
  report.listener_alive = ListenerAlive(state_dir);
  if (report.listener_alive) {
    if (absl::StatusOr<std::string> text = ReadSmallFile(absl::StrCat(state_dir, "/listener.pid"), 64); text.ok()) {
      int64_t pid = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) && pid > 0) report.listener_pid = pid;
    }
  }

  // (namespace, id) -> image dir, and whether it is opted in (a record) or finalized.
  struct Entry {
    std::string image_dir;
    std::string identity;
    bool opted_in = true;
    int64_t checkpoint_interval_ms = 0;
  };
  std::map<std::pair<std::string, std::string>, Entry> entries;
  for (OptedIn& c : ListOptedIn(state_dir)) {
    entries[{c.ns, c.id}] = {c.record.image_dir, c.record.identity, true, c.record.checkpoint_interval_ms};
  }
  for (const FinalizedEntry& f : ListFinalized(state_dir)) {
    if (entries.count({f.ns, f.id}) != 0 || !FindImage(f.image_dir)) continue;
    entries[{f.ns, f.id}] = {f.image_dir, ImagePaths::Of(f.image_dir).id, false};
  }

  std::map<std::string, std::optional<std::map<std::string, TaskEntry>>> tasks;
  for (const auto& [key, entry] : entries) {
    const std::string& ns = key.first;
    if (tasks.count(ns) != 0) continue;
    const CommandResult listed = ctr.Run(ns, {"tasks", "ls"});
    absl::StatusOr<std::map<std::string, TaskEntry>> parsed =
        listed.ok() ? ParseTaskList(listed.out) : absl::UnavailableError(listed.Why());
    if (!parsed.ok()) {
      report.problems.push_back(absl::StrCat("cannot list the tasks of namespace ", ns, ": ", parsed.status().message()));
      tasks[ns] = std::nullopt;
    } else {
      tasks[ns] = *std::move(parsed);
    }
  }

  report.now_unix_nanos = NowUnixNanos();
  for (const auto& [key, entry] : entries) {
    const auto& [ns, id] = key;
    StatusRow row;
    row.ns = ns;
    row.id = id;
    row.identity = entry.identity;
    row.opted_in = entry.opted_in;
    const auto& listed = tasks[ns];
    if (!listed) {
      row.task = "unknown";
    } else {
      const auto task = listed->find(id);
      row.task = task == listed->end() ? "none" : task->second.status;
    }
    row.image = InspectImage(entry.image_dir, ns, entry.identity, ImageCheck::kFull, image_key);
    row.checkpoint_interval_ms = entry.checkpoint_interval_ms;
    if (entry.opted_in) row.last_checkpoint = StateStore(state_dir).For(ns, id).LastCheckpointStats();
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_STATUS_H_
