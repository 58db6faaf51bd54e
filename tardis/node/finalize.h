// Finalize(): what a spot-reclaim warning triggers. Every opted-in container whose task
// is running (or paused) is checkpointed through containerd, so that containerd's own
// bookkeeping stays right and Tardis's checkpoint handler (in tardis-runc) writes the
// image and stops the container; then containerd's own checkpoint image is removed, the
// task is made sure to be stopped, and task and container are deleted. Containers are
// done in parallel, at most `parallel` at a time.
//
// What counts is Tardis's image, not ctr's exit status. A checkpoint succeeded when a
// valid image of this container was made after this attempt began; ctr may still fail
// afterwards (containerd 1.6 fails a checkpoint whose content it already stores, and
// Tardis's checkpoints all leave containerd the same empty checkpoint: two at once, and
// the second ctr reports "already exists" for a container that Tardis did save). And ctr
// may succeed without a Tardis image: Tardis gave the checkpoint to runc unchanged
// (see the Tardis log), runc left the container running, and it must then stay running.
// Whenever no new image was made, the container is left as it is (running, unless it
// stopped by itself), so that a retry can still save it, and the report says why.
//
// Paused tasks: `ctr containers checkpoint --task` pauses the task first, which fails on
// a paused one; `ctr tasks checkpoint` checkpoints it as it is (Tardis checkpoints a
// frozen container without pausing it again).
//
// Docker's containers (namespace moby) have no containerd image, so `ctr containers
// checkpoint` refuses them. They are checkpointed with `ctr tasks checkpoint
// --image-path <a scratch dir in Tardis's state dir>`: containerd then makes no
// checkpoint image at all, and Tardis's handler writes nothing there (callers_dump.h).
// Docker owns their tasks and containers: it deletes both itself when it sees the task
// exit (and `docker start` makes them again, restoring), so finalize only waits for the
// task to stop.
//
// The CRI plugin's containers (namespace k8s.io: Kubernetes) are checkpointed like
// containerd's own, but their task and container are left to the CRI plugin too: it
// deletes the task itself when it sees it exit, and the container when the kubelet asks
// (RemoveContainer). A container deleted behind its back makes the kubelet's
// RemoveContainer fail with NotFound, and the CRI plugin keeps listing it.
//
// With a deadline (a spot notice's), the work is ordered smallest expected image first
// and containers that would not finish before it are not started (finalize_plan.h).
//
// The system (ctr, the images on disk, clocks, the log) is behind FinalizeSystem, so the
// sequence is tested without containerd.
#ifndef TARDIS_NODE_FINALIZE_H_
#define TARDIS_NODE_FINALIZE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/container/docker.h"
#include "tardis/log/level.h"
#include "tardis/node/ctr.h"
#include "tardis/node/finalize_plan.h"
#include "tardis/node/opted_in.h"
#include "tardis/node/report.h"
#include "tardis/node/task_list.h"

namespace tardis::node {

// The containerd namespace of the CRI plugin's containers (fixed by containerd).
inline constexpr char kCriNamespace[] = "k8s.io";

class FinalizeSystem {
 public:
  virtual ~FinalizeSystem() = default;
  // Called from several threads at once.
  virtual CommandResult Ctr(const std::string& ns, const std::vector<std::string>& args) = 0;
  // The container's image as it is now (quick check).
  virtual ImageInfo Image(const OptedIn& container) = 0;
  virtual int64_t WallNanos() = 0;  // comparable with a manifest's created_unix_nanos
  virtual int64_t MonotonicNanos() = 0;
  virtual void Sleep(int64_t nanos) = 0;
  virtual void Log(LogLevel level, const std::string& message) = 0;
  // A container was checkpointed and deleted: remember where its image is.
  virtual void Finalized(const OptedIn& container, const ImageInfo& image) = 0;
  // Its memory use now (its image's size when it has none yet), if known.
  virtual std::optional<uint64_t> MemoryBytes(const OptedIn& container) { return std::nullopt; }
};

struct FinalizeOptions {
  int parallel = 2;
  // How long a checkpointed task may take to show as stopped before it is killed, and a
  // killed one to stop.
  int64_t stop_wait_nanos = 10'000'000'000;
  int64_t poll_nanos = 50'000'000;
  // containerd's checkpoint images are named <ref_repository>:<id>.<unix nanos>.
  std::string ref_repository = "tardis.local/finalize";
  // Where Docker's containers' checkpoints are pointed (see above): inside state_dir.
  std::string scratch_dir = "/run/tardis/finalize";
  // When the node goes (a spot notice's deadline, wall clock), and how the time each
  // checkpoint needs is estimated (finalize_plan.h).
  std::optional<int64_t> deadline_unix_nanos;
  uint64_t bytes_per_second = 200'000'000;
  int64_t fixed_nanos = 1'000'000'000;
};

namespace finalize_internal {

// A task's status: RUNNING, STOPPED, ..., "none" when it has no task; nullopt (and
// `error`) when ctr could not tell.
inline std::optional<std::string> TaskStatus(FinalizeSystem& system, const std::string& ns, const std::string& id,
                                             std::string* error) {
  const CommandResult listed = system.Ctr(ns, {"tasks", "ls"});
  if (!listed.ok()) {
    *error = absl::StrCat("ctr tasks ls: ", listed.Why());
    return std::nullopt;
  }
  absl::StatusOr<std::map<std::string, TaskEntry>> tasks = ParseTaskList(listed.out);
  if (!tasks.ok()) {
    *error = std::string(tasks.status().message());
    return std::nullopt;
  }
  const auto it = tasks->find(id);
  return it == tasks->end() ? std::string("none") : it->second.status;
}

// Polls until the task is no longer running or paused, or `wait` has passed; returns the
// last status seen (nullopt when ctr could not tell).
inline std::optional<std::string> WaitWhileLive(FinalizeSystem& system, const OptedIn& c,
                                                const FinalizeOptions& options, std::string* error) {
  const int64_t deadline = system.MonotonicNanos() + options.stop_wait_nanos;
  while (true) {
    std::optional<std::string> status = TaskStatus(system, c.ns, c.id, error);
    if (!status || !IsLive(*status) || system.MonotonicNanos() >= deadline) return status;
    system.Sleep(options.poll_nanos);
  }
}

// The last non-empty line of ctr's output: the image `ctr tasks checkpoint` made.
inline std::string LastLine(absl::string_view text) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) last = std::string(line);
  }
  return last;
}

inline FinalizeRow FinalizeOne(FinalizeSystem& system, const OptedIn& c, const std::string& initial_status,
                               const FinalizeOptions& options) {
  const std::string who = absl::StrCat(c.ns, "/", c.id);
  FinalizeRow row;
  row.ns = c.ns;
  row.id = c.id;
  row.identity = c.record.identity;
  const int64_t started = system.MonotonicNanos();
  const int64_t started_wall = system.WallNanos();
  const auto finish = [&](FinalizeResult result, std::string reason) {
    row.result = result;
    row.reason = std::move(reason);
    row.duration_nanos = system.MonotonicNanos() - started;
    system.Log(result == FinalizeResult::kFailed ? LogLevel::kError : LogLevel::kInfo,
               absl::StrCat(who, ": ", FinalizeResultName(result), row.reason.empty() ? "" : ": ", row.reason,
                            " (", FormatDuration(row.duration_nanos), ")"));
    return row;
  };

  // 1. The checkpoint, through containerd.
  std::string ref;
  CommandResult checkpoint;
  const bool docker = c.ns == container::kDockerNamespace;
  if (docker) {
    const std::string scratch = absl::StrCat(options.scratch_dir, "/", c.ns, ".", c.id, ".", started_wall);
    system.Log(LogLevel::kInfo, absl::StrCat(who, ": Docker's; checkpointing with ctr tasks checkpoint --image-path ",
                                             scratch));
    checkpoint = system.Ctr(c.ns, {"tasks", "checkpoint", "--image-path", scratch, c.id});
  } else if (initial_status == "PAUSED") {
    system.Log(LogLevel::kInfo, absl::StrCat(who, ": paused; checkpointing with ctr tasks checkpoint"));
    checkpoint = system.Ctr(c.ns, {"tasks", "checkpoint", c.id});
    if (checkpoint.ok()) ref = LastLine(checkpoint.out);
  } else {
    ref = absl::StrCat(options.ref_repository, ":", c.id, ".", started_wall);
    system.Log(LogLevel::kInfo, absl::StrCat(who, ": checkpointing with ctr containers checkpoint --task ", c.id, " ", ref));
    checkpoint = system.Ctr(c.ns, {"containers", "checkpoint", "--task", c.id, ref});
  }

  // 2. containerd's own checkpoint image never stays (ctr says nothing is there when the
  //    checkpoint failed before making one).
  std::string leftover;
  if (!ref.empty()) {
    const CommandResult removed = system.Ctr(c.ns, {"images", "rm", ref});
    if (!removed.ok()) leftover = absl::StrCat("containerd's checkpoint image ", ref, " was not removed: ", removed.Why());
  }

  // 3. Did Tardis save it?
  const ImageInfo image = system.Image(c);
  const bool new_image = image.present && image.created_unix_nanos && *image.created_unix_nanos >= started_wall;
  if (!new_image || !image.valid) {
    std::string reason;
    if (new_image) {
      reason = absl::StrCat("Tardis's new image is not valid: ", image.problem);
    } else if (checkpoint.ok()) {
      reason = "containerd checkpointed it, but Tardis made no image (see the Tardis log)";
    } else {
      reason = absl::StrCat("checkpoint failed: ", checkpoint.Why());
    }
    std::string error;
    const std::optional<std::string> now = TaskStatus(system, c.ns, c.id, &error);
    if (!now) {
      absl::StrAppend(&reason, "; its task's state is unknown: ", error);
    } else if (IsLive(*now)) {
      absl::StrAppend(&reason, "; left ", *now == "PAUSED" ? "paused" : "running");
    } else {
      absl::StrAppend(&reason, "; its task is ", *now);
    }
    if (!leftover.empty()) absl::StrAppend(&reason, "; ", leftover);
    return finish(FinalizeResult::kFailed, reason);
  }
  if (!checkpoint.ok()) {
    system.Log(LogLevel::kInfo, absl::StrCat(who, ": ctr reported ", checkpoint.Why(), ", but Tardis saved the image"));
  }
  row.image_dir = image.dir;
  row.image_bytes = image.bytes;
  const std::string saved = absl::StrCat("saved to ", image.dir, ", but ");

  // 4. Tardis's checkpoint stops the container; make sure containerd sees it stopped.
  std::string error;
  std::optional<std::string> status = WaitWhileLive(system, c, options, &error);
  if (status && IsLive(*status)) {
    system.Log(LogLevel::kWarning, absl::StrCat(who, ": still ", *status, " after its checkpoint; killing it"));
    const CommandResult killed = system.Ctr(c.ns, {"tasks", "kill", "--signal", "SIGKILL", c.id});
    if (*status == "PAUSED") (void)system.Ctr(c.ns, {"tasks", "resume", c.id});  // a frozen task dies once thawed
    status = WaitWhileLive(system, c, options, &error);
    if (status && IsLive(*status)) {
      return finish(FinalizeResult::kFailed, absl::StrCat(saved, "its task is still ", *status,
                                                          killed.ok() ? "" : absl::StrCat(" (kill: ", killed.Why(), ")")));
    }
  }
  if (!status) return finish(FinalizeResult::kFailed, absl::StrCat(saved, "its task's state is unknown: ", error));

  // 5. Delete the task and the container (Docker and the CRI plugin delete their own).
  if (docker || c.ns == kCriNamespace) {
    system.Finalized(c, image);
    if (!leftover.empty()) return finish(FinalizeResult::kFailed, absl::StrCat(saved, leftover));
    return finish(FinalizeResult::kCheckpointed, "");
  }
  if (*status != "none") {
    const CommandResult deleted = system.Ctr(c.ns, {"tasks", "delete", c.id});
    if (!deleted.ok()) return finish(FinalizeResult::kFailed, absl::StrCat(saved, "deleting its task failed: ", deleted.Why()));
  }
  const CommandResult removed = system.Ctr(c.ns, {"containers", "delete", c.id});
  if (!removed.ok()) {
    return finish(FinalizeResult::kFailed, absl::StrCat(saved, "deleting the container failed: ", removed.Why()));
  }
  system.Finalized(c, image);
  if (!leftover.empty()) return finish(FinalizeResult::kFailed, absl::StrCat(saved, leftover));
  return finish(FinalizeResult::kCheckpointed, "");
}

}  // namespace finalize_internal

// `containers`: every opted-in container on the node, in report order.
inline FinalizeReport Finalize(FinalizeSystem& system, const std::vector<OptedIn>& containers,
                               const FinalizeOptions& options) {
  using namespace finalize_internal;
  FinalizeReport report;
  report.parallel = options.parallel;
  const int64_t started = system.MonotonicNanos();
  report.rows.resize(containers.size());

  // Each namespace's tasks, listed once.
  std::map<std::string, absl::StatusOr<std::map<std::string, TaskEntry>>> tasks;
  for (const OptedIn& c : containers) {
    if (tasks.count(c.ns) != 0) continue;
    const CommandResult listed = system.Ctr(c.ns, {"tasks", "ls"});
    if (!listed.ok()) {
      tasks.emplace(c.ns, absl::UnavailableError(absl::StrCat("cannot list the tasks of namespace ", c.ns, ": ",
                                                              listed.Why())));
    } else {
      tasks.emplace(c.ns, ParseTaskList(listed.out));
    }
  }

  std::vector<size_t> work;
  std::vector<std::string> initial(containers.size());
  for (size_t i = 0; i < containers.size(); ++i) {
    const OptedIn& c = containers[i];
    FinalizeRow& row = report.rows[i];
    row.ns = c.ns;
    row.id = c.id;
    row.identity = c.record.identity;
    const auto& listed = tasks.at(c.ns);
    if (!listed.ok()) {
      row.result = FinalizeResult::kFailed;
      row.reason = std::string(listed.status().message());
      system.Log(LogLevel::kError, absl::StrCat(c.ns, "/", c.id, ": failed: ", row.reason));
      continue;
    }
    const auto task = listed->find(c.id);
    const std::string status = task == listed->end() ? "none" : task->second.status;
    if (!IsLive(status)) {
      row.result = FinalizeResult::kSkipped;
      row.reason = status == "none" ? "not running (no task)" : absl::StrCat("not running (", status, ")");
      continue;
    }
    initial[i] = status;
    work.push_back(i);
  }

  // Smallest expected image first; with a deadline, what would not finish is not started.
  std::vector<PlanInput> inputs;
  for (const size_t i : work) {
    const ImageInfo last = system.Image(containers[i]);
    if (last.present && last.bytes > 0) {
      inputs.push_back({last.bytes, "last image"});
    } else if (std::optional<uint64_t> memory = system.MemoryBytes(containers[i])) {
      inputs.push_back({*memory, "memory use"});
    } else {
      inputs.push_back({});
    }
  }
  PlanOptions plan_options{std::nullopt, options.bytes_per_second, options.fixed_nanos, options.parallel};
  // The deadline is wall-clock time (the cloud's); the workers measure against the monotonic
  // clock, from the same moment.
  std::optional<int64_t> monotonic_deadline;
  if (options.deadline_unix_nanos) {
    plan_options.remaining_nanos = *options.deadline_unix_nanos - system.WallNanos();
    monotonic_deadline = system.MonotonicNanos() + *plan_options.remaining_nanos;
  }
  const bool deadline_passed = plan_options.remaining_nanos && *plan_options.remaining_nanos <= 0;
  if (deadline_passed) system.Log(LogLevel::kWarning, "finalize: the deadline has passed; saving what can be saved");
  std::vector<PlannedContainer> plan;
  for (PlannedContainer& planned : PlanFinalize(inputs, plan_options)) {
    FinalizeRow& row = report.rows[work[planned.input]];
    if (planned.skip.empty()) {
      plan.push_back(std::move(planned));
      continue;
    }
    row.result = FinalizeResult::kSkipped;
    row.reason = planned.skip;
    system.Log(LogLevel::kWarning, absl::StrCat(row.ns, "/", row.id, ": skipped: ", row.reason));
  }

  system.Log(LogLevel::kInfo, absl::StrCat("finalize: ", containers.size(), " opted-in containers, ", plan.size(),
                                           " to checkpoint, ", options.parallel, " at a time"));
  std::atomic<size_t> next{0};
  const auto worker = [&] {
    while (true) {
      const size_t n = next.fetch_add(1);
      if (n >= plan.size()) return;
      const size_t i = work[plan[n].input];
      std::optional<int64_t> remaining;
      if (monotonic_deadline) remaining = *monotonic_deadline - system.MonotonicNanos();
      const std::string skip = DeadlineSkip(inputs[plan[n].input], plan[n].estimate_nanos, remaining, deadline_passed);
      if (!skip.empty()) {
        report.rows[i].result = FinalizeResult::kSkipped;
        report.rows[i].reason = skip;
        system.Log(LogLevel::kWarning, absl::StrCat(containers[i].ns, "/", containers[i].id, ": skipped: ", skip));
        continue;
      }
      report.rows[i] = FinalizeOne(system, containers[i], initial[i], options);
    }
  };
  const size_t threads = std::min<size_t>(static_cast<size_t>(std::max(options.parallel, 1)), plan.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();

  report.duration_nanos = system.MonotonicNanos() - started;
  system.Log(LogLevel::kInfo, absl::StrCat("finalize: ", FinalizeSummary(report)));
  return report;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_FINALIZE_H_
