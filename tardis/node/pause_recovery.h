// ThawAbandonedPauses(): a checkpoint that froze its container itself journals the pause
// first (state_store.h) and clears the journal once the container is thawed or stopped.
// A journal nobody's checkpoint lock covers belongs to a checkpoint whose process died
// (killed, OOM, a node's shutdown racing it): its container would stay frozen for good.
// tardis-listen calls this every second, so such a container is thawed within about a
// second of the dead checkpoint's runc ending (while that runc lives, CRIU is at work and
// puts the cgroup back frozen when it ends, so the thaw waits for it) instead of at its
// next checkpoint, which may never come.
#ifndef TARDIS_NODE_PAUSE_RECOVERY_H_
#define TARDIS_NODE_PAUSE_RECOVERY_H_

#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/log/logger.h"
#include "tardis/node/opted_in.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/exec.h"
#include "tardis/sys/process_start.h"

namespace tardis::node {

// `containers`: the node's opted-in containers (ListOptedIn). Returns how many it thawed.
inline int ThawAbandonedPauses(const std::string& state_dir, const std::vector<OptedIn>& containers,
                               const std::string& real_runc, Logger& log) {
  int thawed = 0;
  const StateStore store(state_dir);
  for (const OptedIn& c : containers) {
    ContainerState state = store.For(c.ns, c.id);
    if (!state.JournaledPause()) continue;
    absl::StatusOr<int> lock = state.LockForCheckpoint(/*wait=*/false);
    if (!lock.ok()) continue;  // a checkpoint at work: the pause is its own
    // Read again under the lock: the checkpoint may have ended just before.
    if (const std::optional<PauseJournal> journal = state.JournaledPause();
        journal && !(journal->runc_pid > 0 && SameProcessAlive(static_cast<pid_t>(journal->runc_pid),
                                                                static_cast<uint64_t>(journal->runc_start_ticks)))) {
      const std::string who = absl::StrCat(c.ns, "/", c.id);
      absl::StatusOr<RunResult> ran = RunProgram(real_runc, journal->thaw, {.quiet_stderr = true});
      (void)state.Consume(Flag::kPausedByTardis);  // one try: a container runc no longer knows is gone
      if (ran.ok() && ran->exit_code == 0) {
        ++thawed;
        log.Warning(who, ": a checkpoint froze the container and died; thawed it");
      } else {
        log.Error(who, ": a checkpoint froze the container and died; thawing it failed (", real_runc, " ",
                  absl::StrJoin(journal->thaw, " "), ": ",
                  ran.ok() ? absl::StrCat("exit status ", ran->exit_code) : std::string(ran.status().message()), ")");
      }
    }
    ::close(*lock);
  }
  return thawed;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_PAUSE_RECOVERY_H_
