// The checkpoint store is writable by others (a shared filesystem, another node): a
// directory of an opted-in container's image path swapped for a symlink out of the
// allowed roots after create must not lead a checkpoint to write there, nor a delete to
// remove what it finds there (container/recorded_dir.h).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <gtest/gtest.h>

#include "tardis/lifecycle/checkpoint.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/delete.h"
#include "tardis/lifecycle/handler_fixture.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

class StorageSwapTest : public HandlerFixture {
 protected:
  void SetUp() override {
    HandlerFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Enroll("c1", "job1");
    // The victim: a directory outside the allowed root (ckpt) that looks like the store.
    ASSERT_TRUE(MakeDirectories(Path("victim/job1"), 0755).ok());
    ASSERT_TRUE(archive::testing::WriteNewFile(Path("victim/job1/precious"), "keep me\n").ok());
  }

  // ckpt/default, where the container's image lives, becomes a symlink to the victim,
  // where the swapper left a copy of the identity's lease (it is anyone's to read).
  void SwapStoreForSymlink(const std::string& target) {
    absl::StatusOr<std::string> lease = ReadSmallFile(Path("ckpt/default/.job1.lease"), 1 << 16);
    ASSERT_TRUE(lease.ok()) << lease.status();
    ASSERT_TRUE(WriteFileAtomically(Path("victim/.job1.lease"), *lease, 0644).ok());
    ASSERT_EQ(::rename(Path("ckpt/default").c_str(), Path("ckpt-default-was").c_str()), 0);
    ASSERT_EQ(::symlink(target.c_str(), Path("ckpt/default").c_str()), 0);
  }

  std::vector<std::string> VictimEntries() const {
    std::vector<std::string> names;
    if (DIR* dir = ::opendir(Path("victim").c_str())) {
      while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
      }
      ::closedir(dir);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(StorageSwapTest, ACheckpointThroughASwappedStoreWritesNothingThere) {
  for (const std::string& target : {Path("victim"), std::string("../victim")}) {
    SCOPED_TRACE(target);
    SwapStoreForSymlink(target);
    const Outcome outcome = HandleCheckpoint(
        *node_, Call({"checkpoint", "--image-path", Path("callers"), "--leave-running", "c1"}));
    EXPECT_TRUE(outcome.pass_through()) << "Tardis gives the checkpoint to runc unchanged";
    EXPECT_EQ(VictimEntries(), (std::vector<std::string>{".job1.lease", "job1"}));
    EXPECT_TRUE(absl::StrContains(LogText(), "leads outside the root")) << LogText();
    EXPECT_EQ(RuncCommands(), std::vector<std::string>{}) << "nothing paused, nothing dumped";
    ASSERT_EQ(::unlink(Path("ckpt/default").c_str()), 0);
    ASSERT_EQ(::rename(Path("ckpt-default-was").c_str(), Path("ckpt/default").c_str()), 0);
  }
}

// A symlink that stays inside the root but is not the directory create recorded (another
// namespace's images) is refused too.
TEST_F(StorageSwapTest, ACheckpointThroughAStoreMovedWithinTheRootIsRefused) {
  ASSERT_TRUE(MakeDirectories(Path("ckpt/other"), 0755).ok());
  SwapStoreForSymlink("other");
  EXPECT_TRUE(HandleCheckpoint(*node_, Call({"checkpoint", "--image-path", Path("callers"), "c1"})).pass_through());
  EXPECT_TRUE(absl::StrContains(LogText(), "not the directory recorded at create")) << LogText();
  EXPECT_FALSE(StagingLeftovers(ImagePaths::Of(Path("ckpt/other/job1"))).size());
}

TEST_F(StorageSwapTest, AnExitZeroDeleteThroughASwappedStoreRemovesNothingThere) {
  ASSERT_TRUE(state_->For("default", "c1")
                  .RecordExit({.exit_status = 0}, [](const ContainerRecord&) { return absl::OkStatus(); })
                  .ok());
  SwapStoreForSymlink(Path("victim"));
  const Outcome outcome = HandleDelete(*node_, Call({"delete", "c1"}));
  EXPECT_FALSE(outcome.pass_through());
  EXPECT_TRUE(archive::testing::ReadWholeFile(Path("victim/job1/precious")).ok()) << "the victim was removed";
  EXPECT_TRUE(absl::StrContains(LogText(), "deleting its image failed")) << LogText();
  EXPECT_TRUE(absl::StrContains(LogText(), "leads outside the root")) << LogText();
}

}  // namespace
}  // namespace tardis
