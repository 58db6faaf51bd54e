// ThawAbandonedPauses() against a state dir and a scripted runc: a pause whose checkpoint
// died is thawed once with the journaled argv; one whose checkpoint is at work, or a
// journal that does not read as a thaw of its container, is left alone.
#include "tardis/node/pause_recovery.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/sys/files.h"
#include "tardis/sys/process_start.h"

namespace tardis::node {
namespace {

class PauseRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(archive::testing::WriteNewFile(Path("runc"), "#!/bin/sh\necho \"$*\" >>\"$0.calls\"\nexit ${FAKE_EXIT:-0}\n",
                                               0755)
                    .ok());
    ::unsetenv("FAKE_EXIT");
  }
  std::string Path(const std::string& sub) const { return absl::StrCat(dir_.path(), "/", sub); }
  ContainerState Container(const std::string& id) {
    ContainerState state = store_.For("default", id);
    EXPECT_TRUE(state.Record({"/ckpt/default/" + id, "", "/b/" + id, 1, id, "/b/" + id + "/rootfs"}).ok());
    return state;
  }
  int Thaw() { return ThawAbandonedPauses(Path("state"), ListOptedIn(Path("state")), Path("runc"), log_); }
  std::string Calls() const {
    absl::StatusOr<std::string> text = ReadSmallFile(Path("runc.calls"), 1 << 16);
    return text.ok() ? *text : "";
  }
  std::string LogText() const {
    absl::StatusOr<std::string> text = ReadSmallFile(Path("tardis.log"), 1 << 16);
    return text.ok() ? *text : "";
  }

  archive::testing::ScopedTempDir dir_;
  StateStore store_{Path("state")};
  Logger log_{"test", Path("tardis.log"), LogLevel::kDebug};
};

TEST_F(PauseRecoveryTest, AnAbandonedPauseIsThawedOnce) {
  ContainerState state = Container("c1");
  ASSERT_TRUE(state.JournalPause({{"--root", "/run/r/default", "resume", "c1"}, 0, 0}).ok());
  EXPECT_EQ(Thaw(), 1);
  EXPECT_EQ(Calls(), "--root /run/r/default resume c1\n");
  EXPECT_FALSE(state.JournaledPause());
  EXPECT_TRUE(absl::StrContains(LogText(), "default/c1: a checkpoint froze the container and died; thawed it"));
  EXPECT_EQ(Thaw(), 0);
  EXPECT_EQ(Calls(), "--root /run/r/default resume c1\n") << "thawed once";
}

TEST_F(PauseRecoveryTest, APauseOfACheckpointAtWorkIsLeftToIt) {
  ContainerState state = Container("c1");
  ASSERT_TRUE(state.JournalPause({{"resume", "c1"}, 0, 0}).ok());
  absl::StatusOr<int> held = state.LockForCheckpoint();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(Thaw(), 0);
  EXPECT_EQ(Calls(), "");
  EXPECT_TRUE(state.JournaledPause());
  ::close(*held);
  EXPECT_EQ(Thaw(), 1);
}

// While the dead checkpoint's runc lives, CRIU is at work: the thaw waits for it.
TEST_F(PauseRecoveryTest, TheThawWaitsForTheDeadCheckpointsRunc) {
  ContainerState state = Container("c1");
  const pid_t runc = ::fork();
  ASSERT_GE(runc, 0);
  if (runc == 0) {
    ::pause();
    ::_exit(0);
  }
  const std::optional<uint64_t> started = ProcessStartTicks(runc);
  ASSERT_TRUE(started);
  ASSERT_TRUE(state.JournalPause({{"resume", "c1"}, runc, static_cast<int64_t>(*started)}).ok());
  EXPECT_EQ(Thaw(), 0);
  EXPECT_EQ(Calls(), "");
  ::kill(runc, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(runc, &status, 0), runc);
  EXPECT_EQ(Thaw(), 1);
  EXPECT_EQ(Calls(), "resume c1\n");
  // A journal naming a pid that is now another process (its start time differs) is not
  // waited for.
  ASSERT_TRUE(state.JournalPause({{"resume", "c1"}, ::getpid(), 1}).ok());
  EXPECT_EQ(Thaw(), 1);
}

TEST_F(PauseRecoveryTest, AJournalThatIsNotAThawOfItsContainerIsNotRun) {
  ContainerState other = Container("c1");
  ASSERT_TRUE(other.JournalPause({{"--root", "/r", "delete", "--force", "c1"}, 0, 0}).ok());
  ContainerState wrong_id = Container("c2");
  ASSERT_TRUE(wrong_id.JournalPause({{"resume", "c1"}, 0, 0}).ok());
  ContainerState empty = Container("c3");
  ASSERT_TRUE(empty.Set(Flag::kPausedByTardis).ok());  // a journal without an argv
  EXPECT_EQ(Thaw(), 0);
  EXPECT_EQ(Calls(), "");
}

TEST_F(PauseRecoveryTest, AFailedThawIsSaidAndNotRetriedForEver) {
  ContainerState state = Container("c1");
  ASSERT_TRUE(state.JournalPause({{"resume", "c1"}, 0, 0}).ok());
  ::setenv("FAKE_EXIT", "1", 1);
  EXPECT_EQ(Thaw(), 0);
  ::unsetenv("FAKE_EXIT");
  EXPECT_TRUE(absl::StrContains(LogText(), "default/c1: a checkpoint froze the container and died; thawing it failed"));
  EXPECT_FALSE(state.JournaledPause());
}

}  // namespace
}  // namespace tardis::node
