// RunWatch(): the watcher's loop. It polls one cloud's monitor every `interval` (GCP's
// long polls follow each other at once: each waits at the service for a change), logs
// what the metadata service says, and acts on the first spot notice it may act on:
// records it (acted.h), runs finalize once for the whole node with the notice's
// deadline, records what finalize did, and acknowledges the notice where the cloud wants
// that (Azure). Then it keeps polling and reporting until it is asked to stop
// (SIGTERM/SIGINT).
//
// What never triggers a finalize: no answer, a slow answer, a 5xx, a body that does not
// parse, an unknown action (the monitors make those problems, logged here once each time
// they change, while polling goes on); a notice dated more than 10 minutes ago; a notice
// this node already acted on (acted.json), even before the watcher last restarted; any
// notice after this watcher already finalized once.
//
// The system (clocks, waiting, stop requests, the log, stdout, acted.json, finalize) is
// behind WatchSystem, so that every branch is tested with scripted answers.
#ifndef TARDIS_WATCH_WATCH_LOOP_H_
#define TARDIS_WATCH_WATCH_LOOP_H_

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/log/level.h"
#include "tardis/node/report.h"
#include "tardis/watch/acted.h"
#include "tardis/watch/http.h"
#include "tardis/watch/monitor.h"
#include "tardis/watch/notice.h"

namespace tardis::watch {

class WatchSystem {
 public:
  virtual ~WatchSystem() = default;
  virtual int64_t WallNanos() = 0;
  virtual int64_t MonotonicNanos() = 0;
  // Waits up to `nanos` (0: not at all); false once a stop was asked for.
  virtual bool Wait(int64_t nanos) = 0;
  virtual void Log(LogLevel level, const std::string& message) = 0;
  // One line for whoever runs the watcher (stdout).
  virtual void Say(const std::string& line) = 0;
  virtual absl::StatusOr<std::vector<ActedEntry>> ReadActed() = 0;
  virtual absl::Status WriteActed(const std::vector<ActedEntry>& entries) = 0;
  // Finalizes every opted-in container on the node, against this deadline.
  virtual node::FinalizeReport Finalize(int64_t deadline_unix_nanos) = 0;
};

// Between two long polls: a service that answers them at once does not make a busy loop.
inline constexpr int64_t kLongPollGapNanos = 100LL * 1000000;

struct WatchOptions {
  int64_t interval_nanos = 5LL * 1000000000;
  bool dry_run = false;  // say what would be done; never finalize, record or acknowledge
  int64_t max_notice_age_nanos = kMaxNoticeAgeNanos;
};

namespace watch_internal {

class Watcher {
 public:
  Watcher(Monitor& monitor, HttpClient& http, WatchSystem& system, const WatchOptions& options)
      : monitor_(monitor), http_(http), system_(system), options_(options) {}

  int Run() {
    system_.Log(LogLevel::kInfo, absl::StrCat("watching ", monitor_.Describe(), " every ",
                                              node::FormatDuration(options_.interval_nanos),
                                              options_.dry_run ? " (dry run)" : ""));
    system_.Say(absl::StrCat("watching ", monitor_.Describe(), options_.dry_run ? " (dry run)" : ""));
    absl::StatusOr<std::vector<ActedEntry>> acted = system_.ReadActed();
    if (!acted.ok()) {
      system_.Log(LogLevel::kError, absl::StrCat("cannot read the notices acted on: ", acted.status().message(),
                                                 "; taking it as none"));
    } else {
      acted_ = *std::move(acted);
    }
    while (true) {
      const int64_t started = system_.MonotonicNanos();
      PollResult result = monitor_.Poll(http_, system_.WallNanos(), started);
      Report(result);
      if (result.notice) Consider(*result.notice);
      // A long poll is its own wait, unless the service is failing: then the interval.
      const bool long_poll = monitor_.WaitsForChange() && result.problems.empty();
      const int64_t gap = long_poll ? kLongPollGapNanos : options_.interval_nanos;
      const int64_t elapsed = system_.MonotonicNanos() - started;
      if (!system_.Wait(std::max<int64_t>(0, gap - elapsed))) break;
    }
    system_.Log(LogLevel::kInfo, "stopping on signal");
    return exit_code_;
  }

 private:
  // Problems are logged when they change (a service that stays down is one WARNING, not
  // one every few seconds), and their end too.
  void Report(const PollResult& result) {
    for (const std::string& note : result.notes) system_.Log(LogLevel::kInfo, note);
    const std::string problems = absl::StrJoin(result.problems, "; ");
    if (!problems.empty()) {
      system_.Log(problems == last_problems_ ? LogLevel::kDebug : LogLevel::kWarning,
                  absl::StrCat("metadata service: ", problems, "; polling goes on"));
    } else if (!last_problems_.empty()) {
      system_.Log(LogLevel::kInfo, "metadata service answers again");
    }
    last_problems_ = problems;
  }

  // Says something about a notice once per notice.
  void Once(const Notice& notice, LogLevel level, const std::string& message) {
    if (!told_.insert(notice.key).second) return;
    system_.Log(level, message);
    system_.Say(message);
  }

  void Consider(const Notice& notice) {
    const std::string described = DescribeNotice(notice);
    if (absl::Status age = CheckNoticeAge(notice, system_.WallNanos(), options_.max_notice_age_nanos); !age.ok()) {
      Once(notice, LogLevel::kWarning, absl::StrCat("ignoring notice: ", described, ": ", age.message()));
      return;
    }
    if (finalized_) {
      Once(notice, LogLevel::kInfo, absl::StrCat("notice: ", described, "; this watcher already finalized, not again"));
      return;
    }
    if (const ActedEntry* earlier = FindActed(acted_, notice.key)) {
      Once(notice, LogLevel::kWarning,
           absl::StrCat("notice: ", described, "; already acted on at ", FormatRfc3339(earlier->started_unix_nanos),
                        earlier->finished_unix_nanos ? "" : " (that finalize did not finish)", ", not again"));
      return;
    }
    Once(notice, LogLevel::kWarning, absl::StrCat("notice: ", described));
    finalized_ = true;
    if (options_.dry_run) {
      const std::string line =
          absl::StrCat("dry run: would finalize every opted-in container now, against deadline ",
                       FormatRfc3339(notice.deadline_unix_nanos),
                       notice.event_id.empty() ? "" : absl::StrCat(", then acknowledge event ", notice.event_id));
      system_.Log(LogLevel::kInfo, line);
      system_.Say(line);
      return;
    }
    ActedEntry entry;
    entry.key = notice.key;
    entry.cloud = std::string(CloudName(notice.cloud));
    entry.kind = notice.kind;
    entry.deadline_unix_nanos = notice.deadline_unix_nanos;
    entry.started_unix_nanos = system_.WallNanos();
    Record(entry);
    system_.Log(LogLevel::kInfo, absl::StrCat("finalize: starting, deadline ", FormatRfc3339(notice.deadline_unix_nanos)));
    const node::FinalizeReport report = system_.Finalize(notice.deadline_unix_nanos);
    entry.finished_unix_nanos = system_.WallNanos();
    entry.checkpointed = report.Count(node::FinalizeResult::kCheckpointed);
    entry.failed = report.Count(node::FinalizeResult::kFailed);
    entry.skipped = report.Count(node::FinalizeResult::kSkipped);
    Record(entry);
    exit_code_ = report.ExitCode();
    const std::string summary = absl::StrCat("finalized for ", notice.key, ": ", node::FinalizeSummary(report));
    system_.Log(report.ExitCode() == 0 ? LogLevel::kInfo : LogLevel::kError, summary);
    system_.Say(summary);
    if (notice.event_id.empty()) return;
    if (absl::Status acked = monitor_.Acknowledge(http_, notice); !acked.ok()) {
      system_.Log(LogLevel::kWarning, absl::StrCat("acknowledging event ", notice.event_id, ": ", acked.message()));
    } else {
      system_.Log(LogLevel::kInfo, absl::StrCat("acknowledged event ", notice.event_id));
      system_.Say(absl::StrCat("acknowledged event ", notice.event_id));
    }
  }

  // Finalizing matters more than remembering it: a failed write is logged, no more.
  void Record(const ActedEntry& entry) {
    acted_ = WithActed(std::move(acted_), entry);
    if (absl::Status written = system_.WriteActed(acted_); !written.ok()) {
      system_.Log(LogLevel::kError, absl::StrCat("cannot record the notice acted on: ", written.message()));
    }
  }

  Monitor& monitor_;
  HttpClient& http_;
  WatchSystem& system_;
  const WatchOptions& options_;
  std::vector<ActedEntry> acted_;
  std::set<std::string> told_;
  std::string last_problems_;
  bool finalized_ = false;
  int exit_code_ = 0;
};

}  // namespace watch_internal

// Runs until WatchSystem::Wait says stop; returns the exit code: finalize's (1 when a
// container failed) once it ran, else 0.
inline int RunWatch(Monitor& monitor, HttpClient& http, WatchSystem& system, const WatchOptions& options) {
  return watch_internal::Watcher(monitor, http, system, options).Run();
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_WATCH_LOOP_H_
