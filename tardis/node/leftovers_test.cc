// CollectLeftovers() on a state dir and a checkpoint store in a temp dir: old forgotten
// state (with a mount left in it) and scratch paths go, young ones stay; staging images go
// only when this node's container holds the lease and no checkpoint of it is at work.
#include "tardis/node/leftovers.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"
#include "tardis/testing/cannot_run_here.h"

namespace tardis::node {
namespace {

constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr int64_t kMinute = 60'000'000'000;

class LeftoversTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& sub) const { return absl::StrCat(dir_.path(), "/", sub); }
  std::string State() const { return Path("state"); }
  std::vector<std::string> Roots() const { return {Path("ckpt")}; }
  void MakeOld(const std::string& path, int64_t age) {
    const int64_t when = kNow - age;
    const struct timespec times[2] = {{when / 1000000000, when % 1000000000}, {when / 1000000000, when % 1000000000}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
  }
  bool Exists(const std::string& path) const {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  bool Removed(const LeftoversCollected& c, const std::string& path) const {
    return std::find(c.removed.begin(), c.removed.end(), path) != c.removed.end();
  }
  // An opted-in container whose identity "job" has a staging leftover; `holder` holds the
  // identity's lease.
  std::string ContainerWithStaging(const LeaseHolder& holder) {
    StateStore store(State());
    const std::string image_dir = Path("ckpt/default/job");
    EXPECT_TRUE(MakeDirectories(Path("ckpt/default"), 0755).ok());
    EXPECT_TRUE(store.For("default", "c1").Record({image_dir, "", "/b", 1, "job", "/b/rootfs"}).ok());
    EXPECT_TRUE(ClaimLease(ImagePaths::Of(image_dir).lease(), holder, NowUnixNanos(), 30 * 1000000000LL).ok());
    const std::string staging = Path("ckpt/default/.job.staging.42.1");
    EXPECT_TRUE(MakeDirectories(staging + "/criu", 0700).ok());
    EXPECT_TRUE(archive::testing::WriteNewFile(staging + "/criu/pages-1.img", "half a dump").ok());
    return staging;
  }

  archive::testing::ScopedTempDir dir_;
};

TEST_F(LeftoversTest, OldForgottenStateGoesWithItsMountsYoungStays) {
  if (::geteuid() != 0) TARDIS_CANNOT_RUN_HERE("needs root (a mount)");
  const std::string old_dir = Path("state/containers/.forgotten.default.c1.7.1");
  const std::string young_dir = Path("state/containers/.forgotten.default.c2.7.2");
  ASSERT_TRUE(MakeDirectories(old_dir + "/restore-work/.criu.cgyard.x", 0700).ok());
  ASSERT_TRUE(MakeDirectories(young_dir, 0700).ok());
  ASSERT_EQ(::mount("tmpfs", (old_dir + "/restore-work/.criu.cgyard.x").c_str(), "tmpfs", 0, nullptr), 0);
  MakeOld(old_dir, 2 * kMinute);
  MakeOld(young_dir, kMinute / 2);
  const LeftoversCollected collected = CollectLeftovers(State(), Roots(), kNow, kMinute);
  EXPECT_TRUE(collected.problems.empty()) << collected.problems.front();
  EXPECT_TRUE(Removed(collected, old_dir));
  EXPECT_FALSE(Exists(old_dir));
  EXPECT_TRUE(Exists(young_dir));
}

// Forget() itself detaches what a killed restore left mounted in the container's state
// (CRIU's cgroup yard), so nothing is left for gc in the first place.
TEST_F(LeftoversTest, ForgetDetachesAKilledRestoresMounts) {
  if (::geteuid() != 0) TARDIS_CANNOT_RUN_HERE("needs root (a mount)");
  ContainerState state = StateStore(State()).For("default", "c1");
  ASSERT_TRUE(state.Record({"/ckpt/default/c1", "", "/b", 1, "c1", "/b/rootfs"}).ok());
  const std::string yard = state.ScratchDir("restore-work") + "/.criu.cgyard.x";
  ASSERT_TRUE(MakeDirectories(yard, 0700).ok());
  ASSERT_EQ(::mount("tmpfs", yard.c_str(), "tmpfs", 0, nullptr), 0);
  EXPECT_TRUE(state.Forget().ok());
  EXPECT_FALSE(Exists(state.dir()));
  EXPECT_TRUE(CollectLeftovers(State(), Roots(), NowUnixNanos() + 10 * kMinute, kMinute).removed.empty())
      << "no forgotten dir left behind";
}

TEST_F(LeftoversTest, OldPeriodicScratchGoes) {
  const std::string old_scratch = periodic::ScratchPathFor(State(), "default", "c1", 1);
  const std::string young_scratch = periodic::ScratchPathFor(State(), "default", "c1", 2);
  ASSERT_TRUE(MakeDirectories(old_scratch, 0700).ok());
  ASSERT_TRUE(MakeDirectories(young_scratch, 0700).ok());
  MakeOld(old_scratch, 10 * kMinute);
  MakeOld(young_scratch, 0);
  EXPECT_EQ(CollectLeftovers(State(), Roots(), kNow, kMinute).removed, std::vector<std::string>{old_scratch});
  EXPECT_FALSE(Exists(old_scratch));
  EXPECT_TRUE(Exists(young_scratch));
}

TEST_F(LeftoversTest, StagingOfThisNodesContainerGoesWhenNoCheckpointIsAtWork) {
  const std::string staging = ContainerWithStaging({LocalNodeName(State()), "default", "c1"});
  absl::StatusOr<int> held = StateStore(State()).For("default", "c1").LockForCheckpoint();
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(CollectLeftovers(State(), Roots(), kNow, kMinute).removed.empty()) << "a checkpoint at work: its staging";
  EXPECT_TRUE(Exists(staging));
  ::close(*held);
  const LeftoversCollected collected = CollectLeftovers(State(), Roots(), kNow, kMinute);
  EXPECT_TRUE(Removed(collected, staging));
  EXPECT_FALSE(Exists(staging));
}

TEST_F(LeftoversTest, StagingOfAnIdentityAnotherContainerHoldsStays) {
  const std::string staging = ContainerWithStaging({"another-node", "default", "c9"});
  EXPECT_TRUE(CollectLeftovers(State(), Roots(), kNow, kMinute).removed.empty());
  EXPECT_TRUE(Exists(staging));
}

// The store's directory swapped for a symlink out of the allowed root since create: the
// staging look-alike it leads to is not this node's to remove.
TEST_F(LeftoversTest, NothingIsRemovedThroughAParentSwappedOutOfTheRoots) {
  const std::string staging = ContainerWithStaging({LocalNodeName(State()), "default", "c1"});
  ASSERT_EQ(::rename(Path("ckpt/default").c_str(), Path("victim").c_str()), 0);
  ASSERT_EQ(::symlink(Path("victim").c_str(), Path("ckpt/default").c_str()), 0);
  const LeftoversCollected collected = CollectLeftovers(State(), Roots(), kNow, kMinute);
  EXPECT_TRUE(collected.removed.empty());
  ASSERT_EQ(collected.problems.size(), 1u);
  EXPECT_NE(collected.problems[0].find("leads outside the root"), std::string::npos) << collected.problems[0];
  EXPECT_TRUE(Exists(Path("victim/.job.staging.42.1/criu/pages-1.img")));
}

}  // namespace
}  // namespace tardis::node
