// The watch loop against a scripted monitor and system: which polls lead to a finalize
// (exactly one), which never do, what is recorded in acted.json and when, what is logged
// and what is acknowledged. Each case is the sequence of what the monitor reports.
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_join.h>
#include <gtest/gtest.h>

#include "tardis/watch/watch_loop.h"

namespace tardis::watch {
namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kNow = 1796317200LL * kSecond;  // 2026-12-03T17:00:00Z

Notice SpotNotice(int64_t deadline = kNow + 120 * kSecond) {
  Notice notice;
  notice.cloud = Cloud::kAws;
  notice.kind = "spot-interruption";
  notice.action = "terminate";
  notice.key = absl::StrCat("aws:spot:", deadline);
  notice.dated_unix_nanos = deadline;
  notice.deadline_unix_nanos = deadline;
  return notice;
}

Notice AzureEventNotice() {
  Notice notice = SpotNotice(kNow + 30 * kSecond);
  notice.cloud = Cloud::kAzure;
  notice.kind = "scheduled-event";
  notice.key = "azure:e1";
  notice.event_id = "e1";
  return notice;
}

PollResult Quiet() { return {}; }
PollResult Seen(const Notice& notice) { return {notice, {}, {}}; }
PollResult Problem(const std::string& problem) { return {std::nullopt, {problem}, {}}; }

class ScriptedMonitor : public Monitor {
 public:
  ScriptedMonitor(std::deque<PollResult> polls, absl::Status ack) : polls_(std::move(polls)), ack_(std::move(ack)) {}
  bool WaitsForChange() const override { return long_polls; }
  bool long_polls = false;
  Cloud cloud() const override { return Cloud::kAws; }
  std::string Describe() const override { return "scripted"; }
  PollResult Poll(HttpClient&, int64_t, int64_t) override {
    PollResult next = polls_.empty() ? PollResult{} : polls_.front();
    if (!polls_.empty()) polls_.pop_front();
    return next;
  }
  absl::Status Acknowledge(HttpClient&, const Notice& notice) override {
    acknowledged.push_back(notice.event_id);
    return ack_;
  }
  std::vector<std::string> acknowledged;

 private:
  std::deque<PollResult> polls_;
  absl::Status ack_;
};

class NoHttp : public HttpClient {
  absl::StatusOr<HttpResponse> Do(const HttpRequest&) override { return absl::UnavailableError("no network in tests"); }
};

class ScriptedSystem : public WatchSystem {
 public:
  explicit ScriptedSystem(int polls) : polls_left_(polls) {}
  int64_t WallNanos() override { return kNow + monotonic_; }
  int64_t MonotonicNanos() override { return monotonic_; }
  bool Wait(int64_t nanos) override {
    waits.push_back(nanos);
    monotonic_ += nanos;
    return --polls_left_ > 0;
  }
  void Log(LogLevel level, const std::string& message) override {
    log.push_back(absl::StrCat(LogLevelName(level), " ", message));
  }
  void Say(const std::string& line) override { said.push_back(line); }
  absl::StatusOr<std::vector<ActedEntry>> ReadActed() override { return acted; }
  absl::Status WriteActed(const std::vector<ActedEntry>& entries) override {
    ++writes;
    if (!write_error.ok()) return write_error;
    acted = entries;
    return absl::OkStatus();
  }
  node::FinalizeReport Finalize(int64_t deadline_unix_nanos) override {
    deadlines.push_back(deadline_unix_nanos);
    // While finalize runs, the notice is already on record as started.
    started_on_record_during_finalize = acted.ok() && !acted->empty() && !acted->back().finished_unix_nanos;
    monotonic_ += 3 * kSecond;
    return report;
  }

  absl::StatusOr<std::vector<ActedEntry>> acted = std::vector<ActedEntry>{};
  absl::Status write_error = absl::OkStatus();
  node::FinalizeReport report;
  std::vector<int64_t> deadlines;
  std::vector<int64_t> waits;
  std::vector<std::string> log;
  std::vector<std::string> said;
  int writes = 0;
  bool started_on_record_during_finalize = false;

 private:
  int polls_left_;
  int64_t monotonic_ = 0;
};

struct LoopCase {
  std::string name;
  std::vector<PollResult> polls;
  std::vector<ActedEntry> acted_before;  // what acted.json held when the watcher started
  bool dry_run = false;
  int want_finalizes = 0;
  std::vector<std::string> want_log_has;  // substrings, each of some log line
};

std::vector<LoopCase> Cases() {
  const Notice spot = SpotNotice();
  return {
      {"quiet polls do nothing", {Quiet(), Quiet(), Quiet()}, {}, false, 0, {"INFO watching scripted every 5.00s"}},
      {"a notice is acted on once, however often it is seen",
       {Quiet(), Seen(spot), Seen(spot), Seen(spot)},
       {},
       false,
       1,
       {"WARNING notice: aws spot-interruption (terminate), deadline 2026-12-03T17:02:00Z",
        "INFO finalize: starting, deadline 2026-12-03T17:02:00Z"}},
      {"a second notice after a finalize is not acted on",
       {Seen(spot), Seen(SpotNotice(kNow + 200 * kSecond))},
       {},
       false,
       1,
       {"this watcher already finalized, not again"}},
      {"a notice dated more than 10 minutes ago is a leftover",
       {Seen(SpotNotice(kNow - 601 * kSecond))},
       {},
       false,
       0,
       {"WARNING ignoring notice", "a leftover, not acted on"}},
      {"a notice acted on before a restart is not acted on again",
       {Seen(spot)},
       {{spot.key, "aws", spot.kind, spot.deadline_unix_nanos, kNow - kSecond, std::nullopt, 0, 0, 0}},
       false,
       0,
       {"already acted on at 2026-12-03T16:59:59Z (that finalize did not finish), not again"}},
      {"another notice than the one on record is acted on",
       {Seen(spot)},
       {{"aws:spot:other", "aws", spot.kind, 1, 1, 2, 1, 0, 0}},
       false,
       1,
       {}},
      {"dry run: said, never done",
       {Seen(AzureEventNotice()), Seen(AzureEventNotice())},
       {},
       true,
       0,
       {"dry run: would finalize every opted-in container now, against deadline 2026-12-03T17:00:30Z, then "
        "acknowledge event e1"}},
      {"problems are logged when they change, and their end",
       {Problem("answered 500"), Problem("answered 500"), Problem("not JSON"), Quiet()},
       {},
       false,
       0,
       {"WARNING metadata service: answered 500; polling goes on", "DEBUG metadata service: answered 500",
        "WARNING metadata service: not JSON", "INFO metadata service answers again"}},
  };
}

TEST(WatchLoop, Table) {
  for (const LoopCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    ScriptedMonitor monitor({c.polls.begin(), c.polls.end()}, absl::OkStatus());
    NoHttp http;
    ScriptedSystem system(static_cast<int>(c.polls.size()));
    system.acted = c.acted_before;
    WatchOptions options;
    options.dry_run = c.dry_run;
    EXPECT_EQ(RunWatch(monitor, http, system, options), 0);
    EXPECT_EQ(system.deadlines.size(), static_cast<size_t>(c.want_finalizes));
    if (c.want_finalizes == 0) {
      EXPECT_EQ(system.writes, 0) << "nothing acted on, nothing recorded";
      EXPECT_TRUE(monitor.acknowledged.empty());
    }
    const std::string log = absl::StrJoin(system.log, "\n");
    for (const std::string& want : c.want_log_has) EXPECT_TRUE(absl::StrContains(log, want)) << want << "\nin:\n" << log;
  }
}

TEST(WatchLoop, RecordsTheNoticeBeforeFinalizeAndWhatItDidAfter) {
  const Notice spot = SpotNotice();
  ScriptedMonitor monitor({Seen(spot)}, absl::OkStatus());
  NoHttp http;
  ScriptedSystem system(1);
  for (const node::FinalizeResult result :
       {node::FinalizeResult::kCheckpointed, node::FinalizeResult::kSkipped, node::FinalizeResult::kFailed}) {
    node::FinalizeRow row;
    row.result = result;
    system.report.rows.push_back(row);
  }
  EXPECT_EQ(RunWatch(monitor, http, system, {}), 1) << "finalize's exit code";
  EXPECT_TRUE(system.started_on_record_during_finalize);
  EXPECT_EQ(system.writes, 2);
  ASSERT_EQ(system.acted->size(), 1u);
  const ActedEntry& entry = system.acted->front();
  EXPECT_EQ(entry.key, spot.key);
  EXPECT_EQ(entry.deadline_unix_nanos, spot.deadline_unix_nanos);
  EXPECT_EQ(entry.started_unix_nanos, kNow);
  EXPECT_EQ(entry.finished_unix_nanos, kNow + 3 * kSecond);
  EXPECT_EQ(std::make_tuple(entry.checkpointed, entry.failed, entry.skipped), std::make_tuple(1, 1, 1));
  EXPECT_EQ(system.deadlines, std::vector<int64_t>{spot.deadline_unix_nanos});
}

// Finalizing matters more than remembering it, or than reading what was remembered.
TEST(WatchLoop, FinalizesWhenTheRecordCannotBeReadOrWritten) {
  ScriptedMonitor monitor({Seen(SpotNotice())}, absl::OkStatus());
  NoHttp http;
  ScriptedSystem system(1);
  system.acted = absl::DataLossError("acted.json is not a JSON object");
  system.write_error = absl::PermissionDeniedError("read-only file system");
  RunWatch(monitor, http, system, {});
  EXPECT_EQ(system.deadlines.size(), 1u);
  const std::string log = absl::StrJoin(system.log, "\n");
  EXPECT_TRUE(absl::StrContains(log, "ERROR cannot read the notices acted on: acted.json is not a JSON object"));
  EXPECT_TRUE(absl::StrContains(log, "ERROR cannot record the notice acted on: read-only file system"));
}

TEST(WatchLoop, AcknowledgesAzureEventsAfterFinalize) {
  for (const bool ack_fails : {false, true}) {
    ScriptedMonitor monitor({Seen(AzureEventNotice())},
                            ack_fails ? absl::UnavailableError("answered 400") : absl::OkStatus());
    NoHttp http;
    ScriptedSystem system(1);
    RunWatch(monitor, http, system, {});
    EXPECT_EQ(monitor.acknowledged, std::vector<std::string>{"e1"});
    const std::string log = absl::StrJoin(system.log, "\n");
    EXPECT_TRUE(absl::StrContains(log, ack_fails ? "WARNING acknowledging event e1: answered 400"
                                                 : "INFO acknowledged event e1"))
        << log;
  }
}

TEST(WatchLoop, PollsEveryIntervalCountingThePollItself) {
  ScriptedMonitor monitor({Quiet(), Seen(SpotNotice()), Quiet()}, absl::OkStatus());
  NoHttp http;
  ScriptedSystem system(3);
  RunWatch(monitor, http, system, {});
  // The finalize took 3 s of the second poll's 5 s.
  EXPECT_EQ(system.waits, (std::vector<int64_t>{5 * kSecond, 2 * kSecond, 5 * kSecond}));
}

// GCP's long polls follow each other at once (each waits at the service), a failing
// service is asked every interval all the same.
TEST(WatchLoop, LongPollsFollowEachOtherUnlessTheServiceFails) {
  ScriptedMonitor monitor({Quiet(), Problem("answered 503"), Quiet()}, absl::OkStatus());
  monitor.long_polls = true;
  NoHttp http;
  ScriptedSystem system(3);
  RunWatch(monitor, http, system, {});
  EXPECT_EQ(system.waits, (std::vector<int64_t>{kLongPollGapNanos, 5 * kSecond, kLongPollGapNanos}));
}

}  // namespace
}  // namespace tardis::watch
