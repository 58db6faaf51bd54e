#include "tardis/state/state_store.h"

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

namespace tardis {
namespace {

absl::Status kAnyRecord(const ContainerRecord&) { return absl::OkStatus(); }

class StateStoreTest : public ::testing::Test {
 protected:
  std::string dir_ = absl::StrCat(::testing::TempDir(), "/state-", ::getpid(), "-",
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  StateStore store_{dir_};
};

TEST_F(StateStoreTest, NothingIsRecordedForAStranger) {
  ContainerState state = store_.For("default", "c1");
  EXPECT_FALSE(state.Recorded());
  EXPECT_FALSE(state.Exit());
  EXPECT_FALSE(state.Consume(Flag::kSkipStart));
  EXPECT_TRUE(absl::IsNotFound(state.RecordExit({.exit_status = 0}, kAnyRecord)));
  EXPECT_TRUE(state.Forget().ok());
}

// The listener's exit of an earlier container must not land on a new one with the same
// id, however the delete and re-create interleave with its write.
TEST_F(StateStoreTest, AnExitReachesOnlyTheIncarnationWhoseRecordWasAccepted) {
  ContainerState state = store_.For("default", "c1");
  const ContainerRecord old_one{"/ckpt/default/job1", "", "/b/c1", 100, "job1", "/b/c1/rootfs"};
  ContainerRecord new_one = old_one;
  new_one.created_unix_nanos = 200;
  ASSERT_TRUE(state.Record(old_one).ok());
  const absl::Status written = state.RecordExit({.exit_status = 9}, [&](const ContainerRecord& seen) {
    EXPECT_EQ(seen.created_unix_nanos, 100);
    EXPECT_TRUE(state.Record(new_one).ok());  // deleted and created again meanwhile
    return absl::OkStatus();
  });
  // The old directory is gone with its record: nothing to write into, and not the new one.
  EXPECT_TRUE(absl::IsNotFound(written)) << written;
  ASSERT_TRUE(state.Recorded());
  EXPECT_EQ(state.Recorded()->created_unix_nanos, 200);
  EXPECT_FALSE(state.Exit());

  // A refusal of the record writes nothing and says why.
  EXPECT_TRUE(absl::IsFailedPrecondition(state.RecordExit(
      {.exit_status = 9}, [](const ContainerRecord&) { return absl::FailedPreconditionError("stale"); })));
  EXPECT_FALSE(state.Exit());
}

TEST_F(StateStoreTest, ThePeriodicLockIsOneHoldersAndWaitsAreBounded) {
  ContainerState state = store_.For("default", "c1");
  ASSERT_TRUE(state.Record({"/ckpt/default/job1", "", "/b/c1", 1, "job1", "/b/c1/rootfs"}).ok());
  absl::StatusOr<int> held = state.LockAgainstPeriodic(0);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(absl::IsUnavailable(state.LockAgainstPeriodic(0).status()));
  EXPECT_TRUE(absl::IsUnavailable(state.LockAgainstPeriodic(50).status())) << "a bounded wait gives up";
  absl::StatusOr<int> checkpoint = state.LockForCheckpoint(false);
  EXPECT_TRUE(checkpoint.ok()) << "the two locks are independent";
  if (checkpoint.ok()) ::close(*checkpoint);
  ::close(*held);
  held = state.LockAgainstPeriodic(50);
  EXPECT_TRUE(held.ok()) << held.status();
  if (held.ok()) ::close(*held);
}

TEST_F(StateStoreTest, RecordFlagsExitForget) {
  ContainerState state = store_.For("default", "c1");
  const ContainerRecord record{"/ckpt/default/job1", "/nfs/work/default/job1", "/b/c1", 42, "job1", "/b/c1/rootfs"};
  ASSERT_TRUE(state.Record(record).ok());
  ASSERT_TRUE(state.Recorded());
  EXPECT_EQ(state.Recorded()->image_dir, "/ckpt/default/job1");
  EXPECT_EQ(state.Recorded()->work_dir, "/nfs/work/default/job1");
  EXPECT_EQ(state.Recorded()->created_unix_nanos, 42);
  EXPECT_EQ(state.Recorded()->identity, "job1");
  EXPECT_EQ(state.Recorded()->rootfs, "/b/c1/rootfs");

  ASSERT_TRUE(state.Set(Flag::kSkipStart).ok());
  ASSERT_TRUE(state.Set(Flag::kSkipStart).ok());  // setting twice is still one skip
  EXPECT_FALSE(state.Consume(Flag::kSkipResume));
  EXPECT_TRUE(state.Consume(Flag::kSkipStart));
  EXPECT_FALSE(state.Consume(Flag::kSkipStart));

  ASSERT_TRUE(state.RecordExit({.exit_status = 137, .exited_at_unix_nanos = 5}, kAnyRecord).ok());
  ASSERT_TRUE(state.Exit());
  EXPECT_EQ(state.Exit()->exit_status, 137);
  ASSERT_TRUE(state.RecordExit({.exit_status = 0}, kAnyRecord).ok());  // the latest wins
  EXPECT_EQ(state.Exit()->exit_status, 0);
  ASSERT_TRUE(state.ForgetExit().ok());
  EXPECT_FALSE(state.Exit());

  ASSERT_TRUE(state.Forget().ok());
  EXPECT_FALSE(state.Recorded());
  EXPECT_TRUE(absl::IsNotFound(state.RecordExit({.exit_status = 0}, kAnyRecord)));
  EXPECT_EQ(::access(state.dir().c_str(), F_OK), -1);
}

// Records written before identities and Docker's rootfs read as what they implied.
TEST(ContainerRecordTest, OlderRecordsImplyIdentityAndRootfs) {
  absl::StatusOr<ContainerRecord> record = ParseContainerRecord(
      R"({"image_dir":"/ckpt/default/c1","work_dir":"","bundle":"/b/c1","created_unix_nanos":1})");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->identity, "c1");
  EXPECT_EQ(record->rootfs, "/b/c1/rootfs");
  EXPECT_EQ(record->checkpoint_interval_ms, 0) << "no periodic checkpoints before they existed";
}

TEST_F(StateStoreTest, IntervalAndLastCheckpointStatsRoundTrip) {
  ContainerState state = store_.For("default", "c1");
  ContainerRecord record{"/a", "", "/b", 1, "c", "/b/rootfs"};
  record.checkpoint_interval_ms = 90000;
  ASSERT_TRUE(state.Record(record).ok());
  EXPECT_EQ(state.Recorded()->checkpoint_interval_ms, 90000);
  EXPECT_FALSE(state.LastCheckpointStats());
  const CheckpointStats stats{true, 10, 20, 3, 4, 5, 6, "why not"};
  ASSERT_TRUE(state.RecordCheckpointStats(stats).ok());
  ASSERT_TRUE(state.LastCheckpointStats());
  EXPECT_EQ(SerializeCheckpointStats(*state.LastCheckpointStats()), SerializeCheckpointStats(stats));
  ASSERT_TRUE(WriteFileAtomically(absl::StrCat(state.dir(), "/last-checkpoint.json"), "{\"periodic\": 1}").ok());
  EXPECT_FALSE(state.LastCheckpointStats()) << "malformed stats read as none";
  ASSERT_TRUE(WriteFileAtomically(absl::StrCat(state.dir(), "/record.json"),
                                  R"({"image_dir":"/a","work_dir":"","bundle":"/b","created_unix_nanos":1,)"
                                  R"("checkpoint_interval_ms":-5})").ok());
  EXPECT_EQ(state.Recorded()->checkpoint_interval_ms, 0) << "a negative interval reads as none";
}

TEST_F(StateStoreTest, RecordStartsAfresh) {
  ContainerState state = store_.For("default", "c1");
  ASSERT_TRUE(state.Record({"/a", "", "/b", 1, "c", "/b/rootfs"}).ok());
  ASSERT_TRUE(state.Set(Flag::kSkipResume).ok());
  ASSERT_TRUE(state.RecordExit({.exit_status = 3}, kAnyRecord).ok());
  ASSERT_TRUE(state.Record({"/a2", "", "/b", 2, "c", "/b/rootfs"}).ok());
  EXPECT_EQ(state.Recorded()->image_dir, "/a2");
  EXPECT_FALSE(state.Consume(Flag::kSkipResume));
  EXPECT_FALSE(state.Exit());
}

TEST_F(StateStoreTest, ContainersAreKeyedByNamespaceAndId) {
  ASSERT_TRUE(store_.For("ns1", "c").Record({"/one", "", "/b", 1, "c", "/b/rootfs"}).ok());
  ASSERT_TRUE(store_.For("ns2", "c").Record({"/two", "", "/b", 1, "c", "/b/rootfs"}).ok());
  ASSERT_TRUE(store_.For("ns1", "c1").Record({"/three", "", "/b", 1, "c", "/b/rootfs"}).ok());
  EXPECT_EQ(store_.For("ns1", "c").Recorded()->image_dir, "/one");
  EXPECT_EQ(store_.For("ns2", "c").Recorded()->image_dir, "/two");
  ASSERT_TRUE(store_.For("ns1", "c").Forget().ok());
  EXPECT_TRUE(store_.For("ns1", "c1").Recorded());
  EXPECT_TRUE(store_.For("ns2", "c").Recorded());
}

TEST_F(StateStoreTest, MalformedFilesReadAsNothingRecorded) {
  ContainerState state = store_.For("default", "c1");
  ASSERT_TRUE(state.Record({"/a", "", "/b", 1, "c", "/b/rootfs"}).ok());
  ASSERT_TRUE(WriteFileAtomically(absl::StrCat(state.dir(), "/record.json"), "{\"image_dir\": 5}").ok());
  ASSERT_TRUE(WriteFileAtomically(absl::StrCat(state.dir(), "/exit.json"), "not json").ok());
  EXPECT_FALSE(state.Recorded());
  EXPECT_FALSE(state.Exit());
}

// Many processes race to consume one flag: exactly one wins, every time.
TEST_F(StateStoreTest, ExactlyOneConcurrentConsumerWins) {
  constexpr int kRounds = 50, kRacers = 8;
  for (int round = 0; round < kRounds; ++round) {
    ContainerState state = store_.For("default", absl::StrCat("c", round));
    ASSERT_TRUE(state.Record({"/a", "", "/b", 1, "c", "/b/rootfs"}).ok());
    ASSERT_TRUE(state.Set(Flag::kSkipStart).ok());
    pid_t racers[kRacers];
    for (pid_t& racer : racers) {
      racer = ::fork();
      if (racer == 0) ::_exit(state.Consume(Flag::kSkipStart) ? 1 : 0);
    }
    int winners = 0;
    for (pid_t racer : racers) {
      int status = 0;
      ::waitpid(racer, &status, 0);
      winners += WEXITSTATUS(status);
    }
    EXPECT_EQ(winners, 1) << "round " << round;
  }
}

// Writers replacing the exit record while readers read: a reader sees a whole record,
// never a torn one.
TEST_F(StateStoreTest, ReadersNeverSeeATornExitRecord) {
  ContainerState state = store_.For("default", "c1");
  ASSERT_TRUE(state.Record({"/a", "", "/b", 1, "c", "/b/rootfs"}).ok());
  ASSERT_TRUE(state.RecordExit({.exit_status = 1}, kAnyRecord).ok());
  const pid_t writer = ::fork();
  if (writer == 0) {
    for (int i = 0; i < 300; ++i) {
      (void)state.RecordExit({.exit_status = 1 + i % 200, .exited_at_unix_nanos = i, .event_unix_nanos = i}, kAnyRecord);
    }
    ::_exit(0);
  }
  int reads = 0;
  while (true) {
    int status = 0;
    if (::waitpid(writer, &status, WNOHANG) == writer) break;
    const std::optional<ExitRecord> exit = state.Exit();
    ASSERT_TRUE(exit.has_value()) << "torn or missing record after " << reads << " reads";
    EXPECT_GE(exit->exit_status, 1);
    ++reads;
  }
  EXPECT_GT(reads, 0);
}

}  // namespace
}  // namespace tardis

namespace tardis {
namespace {

// Forget() reads the mount table only for a state holding a directory (a restore's
// scratch, where a killed restore leaves a mount).
TEST(HoldsDirectoryTest, OnlyASubdirectoryOrAnUnlistableDirectoryCounts) {
  const std::string top = absl::StrCat(::testing::TempDir(), "/holds-", ::getpid());
  struct Case {
    const char* name;
    std::function<void(const std::string&)> make;
    bool want;
  };
  const std::vector<Case> cases = {
      {"empty", [](const std::string& d) { ASSERT_EQ(::mkdir(d.c_str(), 0700), 0); }, false},
      {"files only",
       [](const std::string& d) {
         ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
         ASSERT_TRUE(WriteFileAtomically(d + "/record.json", "{}", 0600, Durability::kProcessCrash).ok());
         ASSERT_TRUE(WriteFileAtomically(d + "/skip-start", "", 0600, Durability::kProcessCrash).ok());
       },
       false},
      {"a symlink to a directory",
       [](const std::string& d) {
         ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
         ASSERT_EQ(::symlink("/", (d + "/root").c_str()), 0);
       },
       false},
      {"a subdirectory",
       [](const std::string& d) { ASSERT_TRUE(MakeDirectories(d + "/restore-work/.criu.cgyard.x", 0700).ok()); },
       true},
      {"missing: cannot be listed", [](const std::string&) {}, true},
  };
  ASSERT_TRUE(MakeDirectories(top, 0700).ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string dir = absl::StrCat(top, "/", i);
    cases[i].make(dir);
    EXPECT_EQ(HoldsDirectory(dir), cases[i].want) << cases[i].name;
  }
  EXPECT_TRUE(RemoveTree(top).ok());
}

}  // namespace
}  // namespace tardis
