// The finalize sequence against a scripted containerd: what is run for each container,
// in which order, and what is reported, for every way a checkpoint can go.
#include "tardis/node/finalize.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include <absl/strings/str_join.h>

namespace tardis::node {
namespace {

// How a container's checkpoint goes.
enum class Script {
  kSaved,              // Tardis saves it and stops it; ctr succeeds
  kSavedCtrFails,      // Tardis saves it and stops it; ctr fails ("already exists")
  kRuncFails,          // CRIU refuses; the container keeps running
  kPassedThrough,      // Tardis passes containerd's checkpoint on; runc leaves it running
  kSavedStopsLate,     // saved, but its task shows RUNNING for a few more polls
  kSavedNeverStops,    // saved, but its task stays RUNNING until killed
  kInvalidImage,       // a new image, but not a valid one
};

constexpr int64_t kStart = 1'700'000'000'000'000'000;

class FakeSystem : public FinalizeSystem {
 public:
  struct Container {
    std::string status = "RUNNING";
    Script script = Script::kSaved;
    int late_polls = 0;
    ImageInfo image;
    std::vector<std::string> calls;
  };

  void Add(const std::string& ns, const std::string& id, std::string status, Script script) {
    Container& c = containers_[{ns, id}];
    c.status = std::move(status);
    c.script = script;
    // An old image from an earlier checkpoint: present and valid, but not new.
    c.image = {true, absl::StrCat("/images/", ns, "/", id), true, "", 100, kStart - 1'000'000'000'000};
  }
  void SetImageBytes(const std::string& ns, const std::string& id, uint64_t bytes) {
    containers_.at({ns, id}).image.bytes = bytes;
  }
  void FailTasksLs(const std::string& ns) { broken_namespaces_.insert(ns); }
  void FailImagesRm() { fail_images_rm_ = true; }
  // Checkpoints wait (bounded) until this many run at once: shows they overlap.
  void OverlapCheckpoints(int count) { overlap_ = count; }

  CommandResult Ctr(const std::string& ns, const std::vector<std::string>& args) override {
    const std::string command = absl::StrJoin(args, " ");
    if (args.size() >= 2 && (args[1] == "checkpoint")) WaitForOverlap();
    std::lock_guard<std::mutex> lock(mutex_);
    CommandResult result;
    result.ran = true;
    result.exit_code = 0;
    if (args == std::vector<std::string>{"tasks", "ls"}) {
      ++tasks_ls_calls_;
      if (broken_namespaces_.count(ns) != 0) {
        result.exit_code = 1;
        result.err = "ctr: failed to dial \"/run/containerd/containerd.sock\": context deadline exceeded\n";
        return result;
      }
      result.out = "TASK    PID    STATUS    \n";
      for (auto& [key, c] : containers_) {
        if (key.first != ns || c.status == "none" || c.status == "gone") continue;
        std::string shown = c.status;
        if (c.late_polls > 0) {
          --c.late_polls;
          shown = "RUNNING";
        }
        absl::StrAppend(&result.out, key.second, "    100    ", shown, "\n");
      }
      return result;
    }
    std::string id = args.back();
    if (args[0] == "images") id = IdOfRef(args.at(2));
    if (args[0] == "containers" && args[1] == "checkpoint") id = args.at(3);
    Container& c = containers_.at({ns, id});
    c.calls.push_back(command);
    if (args[1] == "checkpoint") checkpoint_order_.push_back(id);
    if (args[0] == "containers" && args[1] == "checkpoint") return Checkpoint(c, ns, id, result);
    if (args[0] == "tasks" && args[1] == "checkpoint") {
      Checkpoint(c, ns, id, result);
      if (result.ok()) result.out = absl::StrCat("containerd.io/checkpoint/", id, ":11-29-2026-04:43:17\n");
      return result;
    }
    if (args[0] == "images" && args[1] == "rm") {
      if (fail_images_rm_) {
        result.exit_code = 1;
        result.err = "ctr: permission denied\n";
      }
      return result;
    }
    if (args[0] == "tasks" && args[1] == "kill") {
      c.late_polls = 0;
      c.status = "STOPPED";
      return result;
    }
    if (args[0] == "tasks" && args[1] == "delete") {
      c.status = "none";
      return result;
    }
    if (args[0] == "containers" && args[1] == "delete") {
      c.status = "gone";
      return result;
    }
    ADD_FAILURE() << "unexpected ctr " << command;
    return result;
  }

  ImageInfo Image(const OptedIn& container) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return containers_.at({container.ns, container.id}).image;
  }
  int64_t WallNanos() override { return kStart + MonotonicNanos(); }
  int64_t MonotonicNanos() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return ++clock_;  // every look at the clock moves it: durations are never zero
  }
  void Sleep(int64_t nanos) override {
    std::lock_guard<std::mutex> lock(mutex_);
    clock_ += nanos;
  }
  void Log(LogLevel level, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    log_.push_back(message);
  }
  void Finalized(const OptedIn& container, const ImageInfo& image) override {
    std::lock_guard<std::mutex> lock(mutex_);
    finalized_.push_back(absl::StrCat(container.ns, "/", container.id, " ", image.dir));
  }

  const Container& at(const std::string& ns, const std::string& id) const { return containers_.at({ns, id}); }
  std::vector<std::string> finalized() const { return finalized_; }
  int max_in_flight() const { return max_in_flight_; }
  std::vector<std::string> checkpoint_order() const { return checkpoint_order_; }

 private:
  static std::string IdOfRef(const std::string& ref) {
    // tardis.local/finalize:<id>.<nanos> or containerd.io/checkpoint/<id>:<date>
    if (absl::StartsWith(ref, "containerd.io/checkpoint/")) {
      const std::string rest = ref.substr(sizeof("containerd.io/checkpoint/") - 1);
      return rest.substr(0, rest.find(':'));
    }
    const std::string tag = ref.substr(ref.find(':') + 1);
    return tag.substr(0, tag.rfind('.'));
  }

  CommandResult& Checkpoint(Container& c, const std::string& ns, const std::string& id, CommandResult& result) {
    const ImageInfo fresh{true, absl::StrCat("/images/", ns, "/", id), true, "", 4096, kStart + clock_};
    switch (c.script) {
      case Script::kSaved:
        c.image = fresh;
        c.status = "STOPPED";
        break;
      case Script::kSavedCtrFails:
        c.image = fresh;
        c.status = "STOPPED";
        result.exit_code = 1;
        result.out = "error resuming task: cannot resume a stopped container: unknown\n";
        result.err = "ctr: content sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef: already exists: unknown\n";
        break;
      case Script::kRuncFails:
        result.exit_code = 1;
        result.err = "ctr: runc checkpoint failed: criu failed: type NOTIFY errno 0: unknown\n";
        break;
      case Script::kPassedThrough:
        break;
      case Script::kSavedStopsLate:
        c.image = fresh;
        c.status = "STOPPED";
        c.late_polls = 3;
        break;
      case Script::kSavedNeverStops:
        c.image = fresh;
        c.late_polls = 1 << 30;
        c.status = "STOPPED";
        break;
      case Script::kInvalidImage:
        c.image = fresh;
        c.image.valid = false;
        c.image.problem = "dump.log does not end with CRIU's success line";
        c.status = "STOPPED";
        break;
    }
    return result;
  }

  void WaitForOverlap() {
    std::unique_lock<std::mutex> lock(overlap_mutex_);
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    overlap_changed_.notify_all();
    if (overlap_ > 1) {
      // Bounded, so a serial finalize fails the test instead of hanging it.
      overlap_changed_.wait_for(lock, std::chrono::seconds(5), [&] { return max_in_flight_ >= overlap_; });
    }
    --in_flight_;
  }

  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Container> containers_;
  std::set<std::string> broken_namespaces_;
  bool fail_images_rm_ = false;
  int64_t clock_ = 0;
  int tasks_ls_calls_ = 0;
  std::vector<std::string> log_;
  std::vector<std::string> finalized_;
  std::vector<std::string> checkpoint_order_;

  std::mutex overlap_mutex_;
  std::condition_variable overlap_changed_;
  int overlap_ = 0;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

std::vector<OptedIn> Containers(const std::vector<std::pair<std::string, std::string>>& names) {
  std::vector<OptedIn> list;
  for (const auto& [ns, id] : names) {
    ContainerRecord record;
    record.image_dir = absl::StrCat("/images/", ns, "/", id);
    list.push_back({ns, id, record});
  }
  return list;
}

FinalizeOptions Options(int parallel = 2) {
  FinalizeOptions options;
  options.parallel = parallel;
  return options;
}

TEST(Finalize, SavedContainersAreCheckpointedThroughContainerdAndDeleted) {
  FakeSystem system;
  system.Add("default", "a", "RUNNING", Script::kSaved);
  system.Add("jobs", "b", "RUNNING", Script::kSaved);
  const FinalizeReport report = Finalize(system, Containers({{"default", "a"}, {"jobs", "b"}}), Options());
  ASSERT_EQ(report.rows.size(), 2u);
  for (const FinalizeRow& row : report.rows) {
    EXPECT_EQ(row.result, FinalizeResult::kCheckpointed) << row.reason;
    EXPECT_EQ(row.reason, "");
    EXPECT_EQ(row.image_bytes, 4096u);
    EXPECT_EQ(row.image_dir, absl::StrCat("/images/", row.ns, "/", row.id));
    EXPECT_GT(row.duration_nanos, 0);
  }
  EXPECT_EQ(report.ExitCode(), 0);
  const std::vector<std::string>& calls = system.at("default", "a").calls;
  ASSERT_EQ(calls.size(), 4u) << absl::StrJoin(calls, "\n");
  EXPECT_TRUE(absl::StartsWith(calls[0], "containers checkpoint --task a tardis.local/finalize:a.")) << calls[0];
  EXPECT_EQ(calls[1], absl::StrCat("images rm ", calls[0].substr(sizeof("containers checkpoint --task a ") - 1)));
  EXPECT_EQ(calls[2], "tasks delete a");
  EXPECT_EQ(calls[3], "containers delete a");
  EXPECT_EQ(system.at("default", "a").status, "gone");
  EXPECT_EQ(system.finalized().size(), 2u);
}

// Docker's containers have no containerd image, and dockerd owns their task and
// container: a task checkpoint into Tardis's scratch dir, and nothing deleted.
TEST(Finalize, DockerContainersAreCheckpointedWithoutAnImageAndLeftToDockerd) {
  FakeSystem system;
  system.Add("moby", "d", "RUNNING", Script::kSaved);
  FinalizeOptions options = Options();
  options.scratch_dir = "/state/finalize";
  const FinalizeReport report = Finalize(system, Containers({{"moby", "d"}}), options);
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kCheckpointed) << report.rows[0].reason;
  const std::vector<std::string>& calls = system.at("moby", "d").calls;
  ASSERT_EQ(calls.size(), 1u) << absl::StrJoin(calls, "\n");
  EXPECT_TRUE(absl::StartsWith(calls[0], "tasks checkpoint --image-path /state/finalize/moby.d.")) << calls[0];
  EXPECT_TRUE(absl::EndsWith(calls[0], " d")) << calls[0];
  EXPECT_EQ(system.at("moby", "d").status, "STOPPED");
  EXPECT_EQ(system.finalized(), std::vector<std::string>{"moby/d /images/moby/d"});
}

// The CRI plugin's containers are checkpointed like containerd's own, but their task and
// container are the CRI plugin's to delete (the kubelet's RemoveContainer would fail).
TEST(Finalize, CriContainersAreCheckpointedAndLeftToTheCriPlugin) {
  FakeSystem system;
  system.Add("k8s.io", "k", "RUNNING", Script::kSaved);
  const FinalizeReport report = Finalize(system, Containers({{"k8s.io", "k"}}), Options());
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kCheckpointed) << report.rows[0].reason;
  const std::vector<std::string>& calls = system.at("k8s.io", "k").calls;
  ASSERT_EQ(calls.size(), 2u) << absl::StrJoin(calls, "\n");
  EXPECT_TRUE(absl::StartsWith(calls[0], "containers checkpoint --task k tardis.local/finalize:k.")) << calls[0];
  EXPECT_EQ(calls[1], absl::StrCat("images rm ", calls[0].substr(sizeof("containers checkpoint --task k ") - 1)));
  EXPECT_EQ(system.at("k8s.io", "k").status, "STOPPED");
  EXPECT_EQ(system.finalized(), std::vector<std::string>{"k8s.io/k /images/k8s.io/k"});
}

TEST(Finalize, TardisImageCountsNotCtrStatus) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kSavedCtrFails);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kCheckpointed) << report.rows[0].reason;
  EXPECT_EQ(system.at("ns", "a").status, "gone");
}

TEST(Finalize, AFailedCheckpointLeavesTheContainerRunning) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kRuncFails);
  system.Add("ns", "b", "RUNNING", Script::kSaved);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}, {"ns", "b"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kFailed);
  EXPECT_EQ(report.rows[0].reason,
            "checkpoint failed: ctr: runc checkpoint failed: criu failed: type NOTIFY errno 0: unknown (exit status "
            "1); left running");
  EXPECT_FALSE(report.rows[0].image_bytes);
  EXPECT_EQ(report.rows[1].result, FinalizeResult::kCheckpointed);
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(system.at("ns", "a").status, "RUNNING");
  // Nothing but the checkpoint and the clean-up of containerd's image touched it.
  ASSERT_EQ(system.at("ns", "a").calls.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(system.at("ns", "a").calls[1], "images rm tardis.local/finalize:a."));
  EXPECT_EQ(system.finalized(), std::vector<std::string>{"ns/b /images/ns/b"});
}

TEST(Finalize, NoTardisImageMeansNotCheckpointedEvenWhenCtrSucceeds) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kPassedThrough);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kFailed);
  EXPECT_EQ(report.rows[0].reason,
            "containerd checkpointed it, but Tardis made no image (see the Tardis log); left running");
  EXPECT_EQ(system.at("ns", "a").status, "RUNNING");
  EXPECT_EQ(system.at("ns", "a").calls.size(), 2u);  // checkpoint, images rm
}

TEST(Finalize, AnInvalidNewImageIsAFailure) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kInvalidImage);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kFailed);
  EXPECT_EQ(report.rows[0].reason,
            "Tardis's new image is not valid: dump.log does not end with CRIU's success line; its task is STOPPED");
}

TEST(Finalize, WaitsForTheTaskToShowStopped) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kSavedStopsLate);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kCheckpointed) << report.rows[0].reason;
  for (const std::string& call : system.at("ns", "a").calls) EXPECT_FALSE(absl::StartsWith(call, "tasks kill"));
}

TEST(Finalize, KillsOnlyATaskThatDoesNotStop) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kSavedNeverStops);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kCheckpointed) << report.rows[0].reason;
  const std::vector<std::string>& calls = system.at("ns", "a").calls;
  ASSERT_EQ(calls.size(), 5u) << absl::StrJoin(calls, "\n");
  EXPECT_EQ(calls[2], "tasks kill --signal SIGKILL a");
  EXPECT_EQ(calls[3], "tasks delete a");
}

TEST(Finalize, PausedTasksAreCheckpointedAsTheyAre) {
  FakeSystem system;
  system.Add("ns", "p", "PAUSED", Script::kSaved);
  const FinalizeReport report = Finalize(system, Containers({{"ns", "p"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kCheckpointed) << report.rows[0].reason;
  const std::vector<std::string>& calls = system.at("ns", "p").calls;
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0], "tasks checkpoint p");
  EXPECT_EQ(calls[1], "images rm containerd.io/checkpoint/p:11-29-2026-04:43:17");
}

TEST(Finalize, ContainersNotRunningAreSkipped) {
  FakeSystem system;
  system.Add("ns", "stopped", "STOPPED", Script::kSaved);
  system.Add("ns", "created", "CREATED", Script::kSaved);
  const FinalizeReport report =
      Finalize(system, Containers({{"ns", "stopped"}, {"ns", "created"}, {"ns", "no-task"}}), Options());
  ASSERT_EQ(report.rows.size(), 3u);
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kSkipped);
  EXPECT_EQ(report.rows[0].reason, "not running (STOPPED)");
  EXPECT_EQ(report.rows[1].reason, "not running (CREATED)");
  EXPECT_EQ(report.rows[2].reason, "not running (no task)");
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_TRUE(system.at("ns", "stopped").calls.empty());
}

TEST(Finalize, NothingOptedInIsNothingToDo) {
  FakeSystem system;
  const FinalizeReport report = Finalize(system, {}, Options());
  EXPECT_TRUE(report.rows.empty());
  EXPECT_EQ(report.ExitCode(), 0);
}

TEST(Finalize, ANamespaceCtrCannotListFails) {
  FakeSystem system;
  system.Add("bad", "a", "RUNNING", Script::kSaved);
  system.Add("good", "b", "RUNNING", Script::kSaved);
  system.FailTasksLs("bad");
  const FinalizeReport report = Finalize(system, Containers({{"bad", "a"}, {"good", "b"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kFailed);
  EXPECT_TRUE(absl::StartsWith(report.rows[0].reason, "cannot list the tasks of namespace bad: ctr: failed to dial"))
      << report.rows[0].reason;
  EXPECT_TRUE(system.at("bad", "a").calls.empty());
  EXPECT_EQ(report.rows[1].result, FinalizeResult::kCheckpointed);
  EXPECT_EQ(report.ExitCode(), 1);
}

TEST(Finalize, ALeftoverCheckpointImageIsReported) {
  FakeSystem system;
  system.Add("ns", "a", "RUNNING", Script::kSaved);
  system.FailImagesRm();
  const FinalizeReport report = Finalize(system, Containers({{"ns", "a"}}), Options());
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kFailed);
  EXPECT_TRUE(absl::StartsWith(report.rows[0].reason,
                               "saved to /images/ns/a, but containerd's checkpoint image tardis.local/finalize:a."))
      << report.rows[0].reason;
  EXPECT_EQ(system.at("ns", "a").status, "gone");  // saved and deleted all the same
}

TEST(Finalize, ContainersAreDoneInParallelWithinTheBound) {
  FakeSystem system;
  std::vector<std::pair<std::string, std::string>> names;
  for (int i = 0; i < 12; ++i) {
    names.push_back({"ns", absl::StrCat("c", i)});
    system.Add("ns", names.back().second, "RUNNING", Script::kSaved);
  }
  system.OverlapCheckpoints(3);
  const FinalizeReport report = Finalize(system, Containers(names), Options(3));
  EXPECT_EQ(report.Count(FinalizeResult::kCheckpointed), 12) << FormatFinalizeTable(report);
  EXPECT_EQ(report.parallel, 3);
  EXPECT_EQ(system.max_in_flight(), 3);
  // Report order is the input order, whatever order they finished in.
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(report.rows[i].id, names[i].second);
}

// Smallest expected image first; with a deadline, what would not be saved before it is
// reported skipped and never started (finalize_plan.h has the rule's table).
TEST(Finalize, SmallestFirstAndNothingStartedThatCannotFinishBeforeTheDeadline) {
  FakeSystem system;
  const std::vector<std::pair<std::string, uint64_t>> sizes = {
      {"big", 40'000'000'000}, {"small", 1'000'000}, {"medium", 400'000'000}};
  for (const auto& [id, bytes] : sizes) {
    system.Add("default", id, "RUNNING", Script::kSaved);
    system.SetImageBytes("default", id, bytes);
  }
  FinalizeOptions options = Options(1);
  options.bytes_per_second = 200'000'000;
  options.fixed_nanos = 1'000'000'000;
  options.deadline_unix_nanos = kStart + 30'000'000'000;  // 30 s: the big one needs 201 s
  const FinalizeReport report =
      Finalize(system, Containers({{"default", "big"}, {"default", "small"}, {"default", "medium"}}), options);
  EXPECT_EQ(system.checkpoint_order(), (std::vector<std::string>{"small", "medium"}));
  ASSERT_EQ(report.rows.size(), 3u);
  EXPECT_EQ(report.rows[0].id, "big");
  EXPECT_EQ(report.rows[0].result, FinalizeResult::kSkipped);
  EXPECT_TRUE(absl::StartsWith(report.rows[0].reason, "not started: the deadline was 30.0s away")) << report.rows[0].reason;
  EXPECT_EQ(report.rows[1].result, FinalizeResult::kCheckpointed);
  EXPECT_EQ(report.rows[2].result, FinalizeResult::kCheckpointed);
  EXPECT_EQ(system.at("default", "big").status, "RUNNING") << "a skipped container is left running";

  // A deadline already passed promises nothing: everything is tried, smallest first.
  FakeSystem late;
  for (const auto& [id, bytes] : sizes) {
    late.Add("default", id, "RUNNING", Script::kSaved);
    late.SetImageBytes("default", id, bytes);
  }
  options.deadline_unix_nanos = kStart - 1;
  const FinalizeReport all =
      Finalize(late, Containers({{"default", "big"}, {"default", "small"}, {"default", "medium"}}), options);
  EXPECT_EQ(late.checkpoint_order(), (std::vector<std::string>{"small", "medium", "big"}));
  EXPECT_EQ(all.Count(FinalizeResult::kCheckpointed), 3);
}

}  // namespace
}  // namespace tardis::node
