// HandleCheckpoint() against a scripted runc: every branch that hands containerd's
// checkpoint to runc unchanged, runc failing (the previous image stays, a freeze of
// Tardis's own is thawed), and what the caller finds at its --image-path afterwards.
#include "tardis/lifecycle/checkpoint.h"

#include <sys/stat.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/match.h>
#include <gtest/gtest.h>

#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/handler_fixture.h"
#include "tardis/lifecycle/identity.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

class CheckpointTest : public HandlerFixture {
 protected:
  runc::Invocation CheckpointCall(const std::string& id, const std::string& image_path,
                                  absl::string_view ns = "default") const {
    return Call({"checkpoint", "--image-path", image_path, "--work-path", Path("criu-work"), "--leave-running",
                 "--file-locks", id},
                ns);
  }
  std::optional<Manifest> Published(const std::string& identity, absl::string_view ns = "default") const {
    absl::StatusOr<Manifest> judged = JudgeImage(ObserveImage(ImageDir(identity, ns), StreamHash::Sha::kNo), ns, identity, ImageKey{});
    if (!judged.ok()) return std::nullopt;
    return *judged;
  }
  bool Exists(const std::string& path) const {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  // Staging leftovers beside the image.
  bool StagingLeft(const std::string& identity) const {
    return !StagingLeftovers(ImagePaths::Of(ImageDir(identity))).empty();
  }
};

TEST_F(CheckpointTest, HandsTheCheckpointToRuncWhenTardisCannotTakeIt) {
  // Not opted in: nothing recorded.
  EXPECT_TRUE(HandleCheckpoint(*node_, CheckpointCall("stranger", Path("callers"))).pass_through());
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{});

  Enroll("c1", "job1");
  // Its job was taken over by another container (this node was presumed dead).
  const std::string lease = ImagePaths::Of(ImageDir("job1")).lease();
  ASSERT_EQ(::unlink(lease.c_str()), 0);
  ASSERT_TRUE(ClaimLease(lease, {"other-node", "default", "c9"}, NowUnixNanos(), 30'000'000'000).ok());
  EXPECT_TRUE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  EXPECT_TRUE(absl::StrContains(LogText(), "checkpoint identity default/job1: the lease is held by default/c9 on "
                                           "other-node; passing containerd's checkpoint to runc unchanged"))
      << LogText();
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{});
  EXPECT_FALSE(Published("job1"));
  ASSERT_EQ(::unlink(lease.c_str()), 0);
  ASSERT_TRUE(ClaimLease(lease, ThisContainer(*node_, CheckpointCall("c1", "")), NowUnixNanos(), 1).ok());

  // runc cannot tell the container's status.
  ::setenv("FAKE_RUNC_STATE_EXIT", "1", 1);
  EXPECT_TRUE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  ::unsetenv("FAKE_RUNC_STATE_EXIT");
  EXPECT_FALSE(StagingLeft("job1"));

  // It is running and will not pause.
  ::setenv("FAKE_RUNC_PAUSE_EXIT", "1", 1);
  EXPECT_TRUE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  ::unsetenv("FAKE_RUNC_PAUSE_EXIT");
  EXPECT_FALSE(StagingLeft("job1"));

  // It is stopped: nothing to checkpoint.
  ::setenv("FAKE_RUNC_STATUS", "stopped", 1);
  EXPECT_TRUE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  EXPECT_TRUE(absl::StrContains(LogText(), "checking the container: it is stopped")) << LogText();
  ::unsetenv("FAKE_RUNC_STATUS");
  // A pause that failed may have frozen part of the cgroup: it is undone with a resume.
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "state", "pause", "resume", "state"}));
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kPausedByTardis));

  // Its rootfs is not mounted any more.
  rootfs_.reset();
  EXPECT_TRUE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  EXPECT_TRUE(absl::StrContains(LogText(), "finding the upperdir")) << LogText();
  EXPECT_FALSE(Published("job1"));
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kSkipResume));
}

TEST_F(CheckpointTest, ARuncFailureKeepsThePreviousImageAndThawsWhatTardisFroze) {
  Enroll("c1", "job1");
  MakeImage("job1", {{"count", "17\n"}});
  const std::optional<Manifest> before = Published("job1");
  ASSERT_TRUE(before);
  ::setenv("FAKE_RUNC_CHECKPOINT_EXIT", "2", 1);
  const Outcome outcome = HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers")));
  ASSERT_FALSE(outcome.pass_through());
  EXPECT_EQ(outcome.exit_code(), 2);
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "pause", "checkpoint", "resume"}));
  EXPECT_EQ(Published("job1"), before);
  EXPECT_FALSE(StagingLeft("job1"));
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kSkipResume));
}

// A checkpoint whose CRIU died: past criu_timeout_ms runc is killed, the previous image
// stays and what Tardis froze is thawed.
TEST_F(CheckpointTest, ACheckpointThatNeverEndsIsKilledAndThePreviousImageKept) {
  Enroll("c1", "job1");
  MakeImage("job1", {{"count", "17\n"}});
  const std::optional<Manifest> before = Published("job1");
  ASSERT_TRUE(before);
  config_.criu_timeout_ms = 300;
  ::setenv("FAKE_RUNC_CHECKPOINT_HANGS", "1", 1);
  const Outcome outcome = HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers")));
  ASSERT_FALSE(outcome.pass_through());
  EXPECT_NE(outcome.exit_code(), 0);
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "pause", "checkpoint", "resume"}));
  EXPECT_EQ(Published("job1"), before);
  EXPECT_FALSE(StagingLeft("job1"));
  EXPECT_TRUE(absl::StrContains(LogText(), "ms; killed")) << LogText();
}

// A checkpoint that froze the container and died (its process killed) leaves the pause
// journaled; the next checkpoint, finding no other at work, thaws it first.
TEST_F(CheckpointTest, APauseLeftByADeadCheckpointIsUndoneByTheNext) {
  Enroll("c1", "job1");
  ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kPausedByTardis).ok());
  ::setenv("FAKE_RUNC_CHECKPOINT_EXIT", "1", 1);
  EXPECT_FALSE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"resume", "state", "pause", "checkpoint", "resume"}));
  EXPECT_TRUE(absl::StrContains(LogText(), "an earlier checkpoint froze the container and died; thawed it"))
      << LogText();
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kPausedByTardis));
}

// While a checkpoint is at work its pause is journaled; a second checkpoint waits for the
// first instead of thawing the container under it.
TEST_F(CheckpointTest, TheJournaledPauseIsOnlyTheirsWhileACheckpointRuns) {
  Enroll("c1", "job1");
  absl::StatusOr<int> held = state_->For("default", "c1").LockForCheckpoint();
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kPausedByTardis).ok());
  std::atomic<bool> done{false};
  std::thread second([&] {
    (void)HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers")));
    done = true;
  });
  ::usleep(200 * 1000);
  EXPECT_FALSE(done) << "the second checkpoint did not wait for the first";
  EXPECT_TRUE(RuncCommands().empty());
  ::close(*held);
  second.join();
  EXPECT_EQ(RuncCommands().front(), "resume");
}

// tardis-listen holds the periodic lock across a periodic checkpoint's ctr call, whose
// containerd resume comes after its handler: a final checkpoint starts only once it is
// let go (and, past criu_timeout_ms, goes on anyway, saying so).
TEST_F(CheckpointTest, AFinalCheckpointWaitsForAPeriodicOneInFlight) {
  Enroll("c1", "job1");
  absl::StatusOr<int> periodic = state_->For("default", "c1").LockAgainstPeriodic(0);
  ASSERT_TRUE(periodic.ok()) << periodic.status();
  std::optional<Outcome> outcome;
  std::thread final_checkpoint([&] { outcome = HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))); });
  ::usleep(300000);
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{}) << "it waits, touching nothing";
  ::close(*periodic);
  final_checkpoint.join();
  ASSERT_TRUE(outcome && !outcome->pass_through()) << LogText();
  EXPECT_EQ(outcome->exit_code(), 0) << LogText();
  EXPECT_TRUE(Published("job1"));

  Enroll("c2", "job2");
  periodic = state_->For("default", "c2").LockAgainstPeriodic(0);
  ASSERT_TRUE(periodic.ok());
  config_.criu_timeout_ms = 200;
  EXPECT_EQ(HandleCheckpoint(*node_, CheckpointCall("c2", Path("callers"))).exit_code(), 0) << LogText();
  EXPECT_TRUE(absl::StrContains(LogText(), "a periodic checkpoint of the container is in flight; going on"))
      << LogText();
  ::close(*periodic);
}

TEST_F(CheckpointTest, APausedContainerIsSavedUnderItsIdentityAndContainerdGetsANote) {
  Enroll("c1", "job1");
  ::setenv("FAKE_RUNC_STATUS", "paused", 1);
  const Outcome outcome = HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers")));
  ASSERT_FALSE(outcome.pass_through()) << LogText();
  EXPECT_EQ(outcome.exit_code(), 0);
  // Stopped once published: killed, and thawed so that it dies (containerd's resume is
  // skipped).
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "checkpoint", "kill", "resume"}));
  const std::optional<Manifest> saved = Published("job1");
  ASSERT_TRUE(saved) << LogText();
  EXPECT_EQ(saved->identity, "job1");
  EXPECT_EQ(saved->container_id, "c1");
  EXPECT_TRUE(state_->For("default", "c1").Consume(Flag::kSkipResume));
  absl::StatusOr<std::string> note = ReadSmallFile(Path("callers/tardis-image.json"), 4096);
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_TRUE(absl::StrContains(*note, "\"identity\":\"job1\"")) << *note;
  EXPECT_FALSE(Exists(Path("callers/dump.log")));
}

// Docker restores from the checkpoint it is given: the dump itself, and Tardis keeps it.
TEST_F(CheckpointTest, DockerGetsTheDumpItselfAndFinalizesScratchGetsNothing) {
  Enroll("d1", "job1", "moby");
  ::setenv("FAKE_RUNC_STATUS", "paused", 1);
  ASSERT_FALSE(HandleCheckpoint(*node_, CheckpointCall("d1", Path("docker-ckpt"), "moby")).pass_through());
  EXPECT_TRUE(Exists(Path("docker-ckpt/dump.log")));
  EXPECT_FALSE(Exists(Path("docker-ckpt/tardis-image.json")));
  ASSERT_TRUE(Published("job1", "moby"));
  EXPECT_TRUE(Exists(ImageDir("job1", "moby") + "/criu/dump.log"));

  const std::string scratch = Path("state/finalize/moby.d1.1");
  ASSERT_FALSE(HandleCheckpoint(*node_, CheckpointCall("d1", scratch, "moby")).pass_through());
  EXPECT_FALSE(Exists(scratch));
  ASSERT_TRUE(Published("job1", "moby"));
}

// A final checkpoint keeps the container (runc's --leave-running, frozen) until its
// image is published: a runc that cannot stop it then leaves it running, never stopped
// with an older image; the pause Tardis made is thawed and its journal cleared.
TEST_F(CheckpointTest, AContainerThatCannotBeStoppedAfterItsCheckpointGoesOn) {
  Enroll("c1", "job1");
  ::setenv("FAKE_RUNC_KILL_EXIT", "1", 1);
  const Outcome outcome = HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers")));
  EXPECT_EQ(outcome.exit_code(), 0) << LogText();
  ASSERT_TRUE(Published("job1"));
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "pause", "checkpoint", "kill", "resume"}));
  EXPECT_TRUE(absl::StrContains(LogText(), "checkpointed, but runc could not stop the container; it goes on"))
      << LogText();
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kSkipResume)) << "its next resume is real";
  EXPECT_FALSE(state_->For("default", "c1").JournaledPause());
}

// The pause Tardis makes is journaled with the runc argv that undoes it, for whoever finds
// the journal of a checkpoint that died (node/pause_recovery.h).
TEST_F(CheckpointTest, TheJournalHoldsTheThawWithContainerdsGlobalOptions) {
  Enroll("c1", "job1");
  ::setenv("FAKE_RUNC_CHECKPOINT_HANGS", "1", 1);
  config_.criu_timeout_ms = 5000;
  std::thread checkpoint([&] { (void)HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))); });
  std::optional<PauseJournal> journaled;
  for (int i = 0; i < 400 && !journaled; ++i) {
    ::usleep(10 * 1000);
    journaled = state_->For("default", "c1").JournaledPause();
  }
  ASSERT_TRUE(journaled);
  EXPECT_EQ(journaled->thaw.back(), "c1");
  EXPECT_EQ(journaled->thaw[journaled->thaw.size() - 2], "resume");
  EXPECT_NE(std::find(journaled->thaw.begin(), journaled->thaw.end(), "--root"), journaled->thaw.end());
  for (int i = 0; i < 400 && journaled && journaled->runc_pid == 0; ++i) {
    ::usleep(10 * 1000);
    journaled = state_->For("default", "c1").JournaledPause();
  }
  ASSERT_TRUE(journaled);
  EXPECT_GT(journaled->runc_pid, 0) << "the checkpoint's runc, once started";
  EXPECT_TRUE(SameProcessAlive(static_cast<pid_t>(journaled->runc_pid),
                               static_cast<uint64_t>(journaled->runc_start_ticks)));
  checkpoint.join();  // runc is killed at criu_timeout_ms; the attempt thaws and clears it
  EXPECT_FALSE(state_->For("default", "c1").JournaledPause());
}

// tardis-listen's periodic checkpoint (periodic/request.h): runc keeps --leave-running,
// the container is thawed once the image is read, no resume is skipped, and what it cost
// is kept.
TEST_F(CheckpointTest, APeriodicCheckpointLeavesTheJobRunningAndKeepsItsFigures) {
  Enroll("c1", "job1");
  const std::string scratch = periodic::ScratchPathFor(config_.state_dir, "default", "c1", 1);
  const Outcome outcome = HandleCheckpoint(*node_, CheckpointCall("c1", scratch));
  ASSERT_FALSE(outcome.pass_through()) << LogText();
  EXPECT_EQ(outcome.exit_code(), 0) << LogText();
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "pause", "checkpoint", "resume"}));
  absl::StatusOr<std::string> calls = ReadSmallFile(Path("runc-calls"), 1 << 20);
  ASSERT_TRUE(calls.ok());
  EXPECT_TRUE(absl::StrContains(*calls, "--leave-running c1")) << *calls;
  ASSERT_TRUE(Published("job1")) << LogText();
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kSkipResume)) << "nobody will resume it";
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kPausedByTardis));
  EXPECT_FALSE(Exists(scratch)) << "nothing is written to the listener's scratch path";
  const std::optional<CheckpointStats> stats = state_->For("default", "c1").LastCheckpointStats();
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->periodic);
  EXPECT_GT(stats->frozen_nanos, 0);
  EXPECT_GT(stats->image_bytes, 0);
  EXPECT_LE(stats->started_unix_nanos, stats->finished_unix_nanos);
  EXPECT_TRUE(absl::StrContains(LogText(), "default/c1: periodic checkpoint as default/job1")) << LogText();

  // A final checkpoint (containerd's `ctr containers checkpoint`, whose --leave-running
  // is containerd's) stops the container once its image is published.
  ASSERT_EQ(::unlink(Path("runc-calls").c_str()), 0);
  ASSERT_FALSE(HandleCheckpoint(*node_, CheckpointCall("c1", Path("callers"))).pass_through());
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "pause", "checkpoint", "kill", "resume"}));
  EXPECT_TRUE(state_->For("default", "c1").Consume(Flag::kSkipResume));
  EXPECT_FALSE(state_->For("default", "c1").LastCheckpointStats()->periodic);
}

// A periodic checkpoint that fails (CRIU refuses, runc dies) leaves the job running and
// the previous image in place.
TEST_F(CheckpointTest, AFailedPeriodicCheckpointLeavesTheJobRunningAndThePreviousImage) {
  Enroll("c1", "job1");
  MakeImage("job1", {{"count", "17\n"}});
  const std::optional<Manifest> before = Published("job1");
  ASSERT_TRUE(before);
  const std::string scratch = periodic::ScratchPathFor(config_.state_dir, "default", "c1", 2);

  ::setenv("FAKE_RUNC_CHECKPOINT_EXIT", "1", 1);
  Outcome outcome = HandleCheckpoint(*node_, CheckpointCall("c1", scratch));
  ::unsetenv("FAKE_RUNC_CHECKPOINT_EXIT");
  ASSERT_FALSE(outcome.pass_through());
  EXPECT_EQ(outcome.exit_code(), 1);
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "pause", "checkpoint", "resume"}));
  EXPECT_EQ(Published("job1"), before);
  EXPECT_FALSE(StagingLeft("job1"));

  // The image is saved but runc cannot thaw the job: said loudly, and the pause stays
  // journaled so that the next checkpoint thaws it.
  ASSERT_EQ(::unlink(Path("runc-calls").c_str()), 0);
  ::setenv("FAKE_RUNC_RESUME_EXIT", "1", 1);
  outcome = HandleCheckpoint(*node_, CheckpointCall("c1", scratch));
  ::unsetenv("FAKE_RUNC_RESUME_EXIT");
  EXPECT_EQ(outcome.exit_code(), 0);
  EXPECT_NE(Published("job1"), before) << "the new image is published";
  EXPECT_TRUE(absl::StrContains(LogText(), "periodic checkpoint: thawing the container failed")) << LogText();
  EXPECT_TRUE(state_->For("default", "c1").Consume(Flag::kPausedByTardis));
  EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kSkipResume));
  EXPECT_FALSE(Exists(scratch));
}

// A container someone else paused (containerd's own checkpoint pauses it first) stays
// paused for them to thaw.
TEST_F(CheckpointTest, APeriodicCheckpointLeavesAnotherPauseAlone) {
  Enroll("c1", "job1");
  ::setenv("FAKE_RUNC_STATUS", "paused", 1);
  const Outcome outcome =
      HandleCheckpoint(*node_, CheckpointCall("c1", periodic::ScratchPathFor(config_.state_dir, "default", "c1", 3)));
  EXPECT_EQ(outcome.exit_code(), 0) << LogText();
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"state", "checkpoint"}));
  EXPECT_GT(state_->For("default", "c1").LastCheckpointStats()->frozen_nanos, 0) << "frozen while it ran";
}

}  // namespace
}  // namespace tardis
