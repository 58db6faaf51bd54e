// HandleCreate() against a scripted runc: every way a create falls back to plain runc's
// create (and leaves nothing of Tardis's behind), and the restores, with the upperdir
// exactly as it was after every rollback.
#include "tardis/lifecycle/create.h"

#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <gtest/gtest.h>

#include "tardis/archive/test_tree.h"
#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/handler_fixture.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/lifecycle/restore.h"

namespace tardis {
namespace {

using archive::testing::DiffTrees;
using archive::testing::Snapshot;
using archive::testing::Tree;
using testing::HandlerFixture;

class CreateTest : public HandlerFixture {
 protected:
  bool Recorded(const std::string& id) const { return state_->For("default", id).Recorded().has_value(); }
  std::string UpperFile(const std::string& name) const {
    absl::StatusOr<std::string> text = ReadSmallFile(Path(absl::StrCat("upper/", name)), 1 << 20);
    return text.ok() ? *text : "(none)";
  }
  // The upperdir now, against `before`: a rollback leaves it exactly as it was (its own
  // entries' mtimes aside: they were moved out and back).
  void ExpectUpperdirAsBefore(const Tree& before) const {
    absl::StatusOr<Tree> after = Snapshot(Path("upper"));
    ASSERT_TRUE(after.ok());
    archive::testing::Compare compare;
    compare.mtime = false;
    EXPECT_EQ(DiffTrees(before, *after, compare), std::vector<std::string>{});
  }
};

// Every way create leaves the container to runc before any restore is tried.
TEST_F(CreateTest, FallsBackToPlainCreate) {
  struct Case {
    const char* what;
    std::vector<std::string> env;
    bool recorded;        // Tardis remembers the container (opted in)
    const char* logged;   // in the log ("" when nothing in particular)
  };
  const Case cases[] = {
      {"not opted in", {"PATH=/bin"}, false, ""},
      {"TARDIS_ENABLE other than 1", {"TARDIS_ENABLE=true"}, false, ""},
      {"a malformed env entry", {"TARDIS_ENABLE=1", "NOEQUALS"}, false, "unreadable settings in config.json"},
      {"a hostile checkpoint id", {"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=../../etc"}, false,
       "checkpoint identity: checkpoint identity \"../../etc\" must start with a letter or digit"},
      {"a checkpoint id too long", {"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=" + std::string(129, 'a')}, false,
       "is longer than 128 characters"},
      {"a host path outside the allowed roots", {"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_HOST_PATH=/etc"}, false,
       "image location"},
      {"opted in, no image", {"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"}, true, "no image in"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    WriteSpec(c.env);
    // Whatever an earlier container of the same id left is dropped either way.
    ASSERT_TRUE(state_->For("default", "c1").Record({"/elsewhere/x", "", "/b", 1, "x", "/b/rootfs"}).ok());
    const Outcome outcome = HandleCreate(*node_, CreateCall("c1"));
    EXPECT_TRUE(outcome.pass_through());
    EXPECT_EQ(Recorded("c1"), c.recorded);
    if (c.recorded) {
      EXPECT_EQ(state_->For("default", "c1").Recorded()->identity, "job1");
    }
    if (*c.logged != '\0') {
      EXPECT_TRUE(absl::StrContains(LogText(), c.logged)) << LogText();
    }
    EXPECT_EQ(RuncCommands(), std::vector<std::string>{}) << "Tardis ran nothing of its own";
    (void)state_->For("default", "c1").Forget();
    ReleaseLease(ImagePaths::Of(ImageDir("job1")).lease(), ThisContainer(*node_, CreateCall("c1")));
  }
}

TEST_F(CreateTest, AJobHeldByAnotherContainerRunsWithoutTardis) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  MakeImage("job1", {{"count", "17\n"}});
  const std::string lease = ImagePaths::Of(ImageDir("job1")).lease();
  ASSERT_TRUE(ClaimLease(lease, {"other-node", "default", "c0"}, NowUnixNanos(), 30'000'000'000).ok());
  const Outcome outcome = HandleCreate(*node_, CreateCall("c1"));
  EXPECT_TRUE(outcome.pass_through());
  EXPECT_FALSE(Recorded("c1"));
  EXPECT_TRUE(absl::StrContains(LogText(), "ERROR test"));
  EXPECT_TRUE(absl::StrContains(LogText(), "default/c1: checkpoint identity default/job1 is held by default/c0 on "
                                           "other-node"))
      << LogText();
  EXPECT_TRUE(CheckLeaseHeld(lease, {"other-node", "default", "c0"}).ok());
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{});
}

TEST_F(CreateTest, AnInvalidImageOrNoOverlayCreatesFresh) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  MakeImage("job1", {{"count", "17\n"}});
  // No overlay at the rootfs yet.
  EXPECT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  EXPECT_TRUE(absl::StrContains(LogText(), "finding the upperdir: nothing is mounted at")) << LogText();
  // Another job's image under this one's name.
  ASSERT_TRUE(RemoveImage(ImageDir("job1")).ok());
  MakeImage("job2", {{"count", "17\n"}});
  ASSERT_EQ(::rename(ImageDir("job2").c_str(), ImageDir("job1").c_str()), 0);
  MountRootfs();
  EXPECT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  EXPECT_TRUE(absl::StrContains(LogText(), "the image is of default/job2, not default/job1")) << LogText();
  EXPECT_EQ(UpperFile("count"), "(none)");
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{});
}

TEST_F(CreateTest, RestoresAJobUnderANewContainerId) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  MakeImage("job1", {{"count", "17\n"}});
  MountRootfs();
  const Outcome outcome = HandleCreate(*node_, CreateCall("new-id"));
  ASSERT_FALSE(outcome.pass_through());
  EXPECT_EQ(outcome.exit_code(), 0);
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{"restore"});
  EXPECT_EQ(UpperFile("count"), "17\n");
  EXPECT_TRUE(state_->For("default", "new-id").Consume(Flag::kSkipStart));
  EXPECT_TRUE(absl::StrContains(LogText(), "made by default/earlier")) << LogText();
}

// The restore worked but its skip-start flag cannot be written (the state dir went
// read-only): containerd's start would go to runc, which refuses a running container, so
// the restore is undone and the container created fresh, its image kept.
TEST_F(CreateTest, ARestoreWhoseStartCannotBeSkippedIsUndone) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  MakeImage("job1", {{"count", "17\n"}});
  MountRootfs();
  absl::StatusOr<Tree> before = Snapshot(Path("upper"));
  ASSERT_TRUE(before.ok());
  ::setenv("FAKE_RUNC_RESTORE_RO", Path("state/containers/default/new-id").c_str(), 1);
  const Outcome outcome = HandleCreate(*node_, CreateCall("new-id"));
  ::unsetenv("FAKE_RUNC_RESTORE_RO");
  EXPECT_TRUE(outcome.pass_through()) << LogText();
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"restore", "delete"}));
  ExpectUpperdirAsBefore(*before);
  EXPECT_TRUE(absl::StrContains(LogText(), "restored, but its start could not be prepared; undone")) << LogText();
  EXPECT_TRUE(FindImage(ImageDir("job1"))) << "the image stays for the next time";
}

// Docker's `docker start` of the same container: the writable layer holds files.
TEST_F(CreateTest, RestoresIntoAnUpperdirThatHoldsFilesReplacingThem) {
  WriteSpec({"TARDIS_ENABLE=1"});
  MakeImage("c1", {{"count", "17\n"}});
  ASSERT_TRUE(archive::testing::WriteNewFile(Path("upper/count"), "3\n").ok());
  ASSERT_TRUE(archive::testing::WriteNewFile(Path("upper/scratch"), "left from the last run\n").ok());
  MountRootfs();
  const Outcome outcome = HandleCreate(*node_, CreateCall("c1"));
  ASSERT_FALSE(outcome.pass_through()) << LogText();
  EXPECT_EQ(UpperFile("count"), "17\n");
  EXPECT_EQ(UpperFile("scratch"), "(none)");
  // Nothing displaced is left beside the upperdir, and the rootfs is mounted again.
  absl::StatusOr<Tree> top = Snapshot(top_);
  ASSERT_TRUE(top.ok());
  for (const auto& [path, node] : *top) {
    EXPECT_FALSE(absl::StrContains(path, "tardis-displaced")) << path;
  }
  absl::StatusOr<std::string> seen = ReadSmallFile(Path("bundle/rootfs/count"), 64);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(*seen, "17\n");
}

// A restore runc refuses: the upperdir is exactly as before, whether it was empty or
// held files, and containerd's create runs.
TEST_F(CreateTest, AFailedRestoreRollsBackExactly) {
  for (const bool held_files : {false, true}) {
    SCOPED_TRACE(held_files ? "upperdir with files" : "empty upperdir");
    WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
    MakeImage("job1", {{"count", "17\n"}, {"more", "saved\n"}});
    if (held_files) {
      ASSERT_TRUE(archive::testing::WriteNewFile(Path("upper/count"), "3\n").ok());
    }
    absl::StatusOr<Tree> before = Snapshot(Path("upper"));
    ASSERT_TRUE(before.ok());
    MountRootfs();
    ::setenv("FAKE_RUNC_RESTORE_EXIT", "1", 1);
    const Outcome outcome = HandleCreate(*node_, CreateCall("c1"));
    EXPECT_TRUE(outcome.pass_through());
    EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"restore", "delete"}));
    ExpectUpperdirAsBefore(*before);
    EXPECT_FALSE(state_->For("default", "c1").Consume(Flag::kSkipStart));
    EXPECT_TRUE(absl::StrContains(LogText(), "runc restore: exit status 1; creating fresh")) << LogText();
    // Ready for the next round.
    rootfs_.reset();
    ::unsetenv("FAKE_RUNC_RESTORE_EXIT");
    ASSERT_TRUE(RemoveImage(ImageDir("job1")).ok());
    ASSERT_TRUE(RemoveTree(Path("saved-job1")).ok());
    ASSERT_EQ(::unlink(Path("runc-calls").c_str()), 0);
    (void)::unlink(Path("upper/count").c_str());
  }
}

// runc killed mid-restore leaves the rootfs bind-mounted in its directory of the
// container; the rollback's `delete --force` removes that directory recursively. It must
// not reach the container's files through the mount.
TEST_F(CreateTest, ARestoreKilledWithItsCriuRootMountedRollsBackWithoutWipingTheRootfs) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  MakeImage("job1", {{"count", "17\n"}});
  ASSERT_TRUE(archive::testing::WriteNewFile(Path("upper/mine"), "the container's own\n").ok());
  absl::StatusOr<Tree> before = Snapshot(Path("upper"));
  ASSERT_TRUE(before.ok());
  MountRootfs();
  ::setenv("FAKE_RUNC_RESTORE_CRIU_ROOT", "1", 1);
  ::setenv("FAKE_RUNC_RESTORE_EXIT", "137", 1);
  EXPECT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  ::unsetenv("FAKE_RUNC_RESTORE_EXIT");
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"restore", "delete"}));
  ExpectUpperdirAsBefore(*before);
  EXPECT_EQ(UpperFile("mine"), "the container's own\n");
  EXPECT_TRUE(absl::StrContains(LogText(), "detached what a killed restore left mounted")) << LogText();
}

// A restore whose CRIU died: runc waits for ever. Past criu_timeout_ms Tardis kills it,
// detaches what it left mounted, rolls back, and the plain create runs.
TEST_F(CreateTest, ARestoreThatNeverEndsIsKilledAndTheContainerCreatedFresh) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  MakeImage("job1", {{"count", "17\n"}});
  absl::StatusOr<Tree> before = Snapshot(Path("upper"));
  ASSERT_TRUE(before.ok());
  MountRootfs();
  config_.criu_timeout_ms = 300;
  ::setenv("FAKE_RUNC_RESTORE_CRIU_ROOT", "1", 1);
  ::setenv("FAKE_RUNC_RESTORE_HANGS", "1", 1);
  EXPECT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  EXPECT_EQ(RuncCommands(), (std::vector<std::string>{"restore", "delete"}));
  ExpectUpperdirAsBefore(*before);
  EXPECT_TRUE(absl::StrContains(LogText(), "runc restore: pid")) << LogText();
  EXPECT_TRUE(absl::StrContains(LogText(), "ms; killed")) << LogText();
}

// Docker's `docker start --checkpoint`: runc restores from Docker's own checkpoint;
// Tardis only takes note of the container.
TEST_F(CreateTest, SomeoneElsesRestoreIsPassedOnAndTheContainerKnown) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  const runc::Invocation call =
      Call({"restore", "--detach", "--image-path", Path("docker-checkpoint"), "--bundle", Bundle(), "c1"});
  EXPECT_TRUE(HandleRestore(*node_, call).pass_through());
  EXPECT_TRUE(Recorded("c1"));
  EXPECT_TRUE(CheckLeaseHeld(ImagePaths::Of(ImageDir("job1")).lease(), ThisContainer(*node_, call)).ok());
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{});
}

}  // namespace
}  // namespace tardis
