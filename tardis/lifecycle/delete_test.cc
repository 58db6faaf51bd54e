// HandleDelete() against a scripted runc that, like runc, removes the directory of a
// container it does not know recursively: what a killed restore left mounted there is
// detached first, so the container's files survive; a container runc knows is left as
// it is.
#include "tardis/lifecycle/delete.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <string>

#include <absl/strings/match.h>
#include <gtest/gtest.h>

#include "tardis/container/leftover_mounts.h"
#include "tardis/container/read_mountinfo.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/handler_fixture.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

class DeleteTest : public HandlerFixture {
 protected:
  void SetUp() override {
    HandlerFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Enroll("c1", "job1");
  }

  // What runc restore does for CRIU: the rootfs bind-mounted at <root>/<id>/criu-root.
  void LeaveCriuRoot() {
    const std::string criu_root = Path("runc-root/default/c1/criu-root");
    ASSERT_TRUE(MakeDirectories(criu_root, 0755).ok());
    ASSERT_EQ(::mount(Path("bundle/rootfs").c_str(), criu_root.c_str(), nullptr, MS_BIND, nullptr), 0);
  }
  std::vector<std::string> MountedBeneath(const std::string& dir) const {
    absl::StatusOr<std::string> mountinfo = container::ReadMountinfo();
    return mountinfo.ok() ? container::MountsBeneath(*mountinfo, dir) : std::vector<std::string>{"?"};
  }
  bool Exists(const std::string& path) const {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
};

// A container that exited while no listener ran has no exit code: its image is kept,
// and delete says so loudly and starts a listener for the containers still running.
TEST_F(DeleteTest, AnExitMissedInAListenerGapIsSaidAndAListenerStarted) {
  ::setenv("FAKE_RUNC_STATUS", "stopped", 1);
  const Outcome outcome = HandleDelete(*node_, Call({"delete", "c1"}));
  ::unsetenv("FAKE_RUNC_STATUS");
  EXPECT_FALSE(outcome.pass_through());
  const std::string log = LogText();
  EXPECT_TRUE(absl::StrContains(log, "WARNING test[")) << log;
  EXPECT_TRUE(absl::StrContains(log, "default/c1: no exit code and no listener running; keeping the image")) << log;
  EXPECT_TRUE(absl::StrContains(log, "tardis-listen was not running when it exited; starting one")) << log;
  EXPECT_TRUE(absl::StrContains(log, "tardis-listen is not running and cannot be started")) << log
      << "(the fixture's listener binary does not exist: the start was tried)";
}

TEST_F(DeleteTest, AKilledRestoresCriuRootIsDetachedBeforeRuncRemovesItsDirectory) {
  LeaveCriuRoot();
  const Outcome outcome = HandleDelete(*node_, Call({"delete", "--force", "c1"}));
  ASSERT_FALSE(outcome.pass_through()) << LogText();
  EXPECT_EQ(outcome.exit_code(), 0);
  EXPECT_TRUE(Exists(Path("upper/count"))) << "the writable layer was emptied through criu-root";
  EXPECT_TRUE(Exists(Path("bundle/rootfs/image-file")));
  EXPECT_FALSE(Exists(Path("runc-root/default/c1")));
  EXPECT_TRUE(MountedBeneath(Path("runc-root")).empty());
  EXPECT_TRUE(absl::StrContains(LogText(), "detached what a killed restore left mounted")) << LogText();
  EXPECT_FALSE(state_->For("default", "c1").Recorded());
}

TEST_F(DeleteTest, CriusCgroupYardInTheRestoreWorkDirIsDetachedToo) {
  const std::string yard = absl::StrCat(state_->For("default", "c1").ScratchDir(container::kRestoreWorkDirName), "/.criu.cgyard.x");
  ASSERT_TRUE(MakeDirectories(yard, 0755).ok());
  ASSERT_EQ(::mount("tardis-test", yard.c_str(), "tmpfs", 0, nullptr), 0);
  ASSERT_FALSE(HandleDelete(*node_, Call({"delete", "c1"})).pass_through());
  EXPECT_TRUE(MountedBeneath(Path("state")).empty());
  // With nothing mounted in it any more, Tardis could forget the container.
  EXPECT_FALSE(state_->For("default", "c1").Recorded()) << LogText();
}

TEST_F(DeleteTest, AContainerRuncKnowsIsLeftAsItIs) {
  LeaveCriuRoot();
  ASSERT_TRUE(archive::testing::WriteNewFile(Path("runc-root/default/c1/state.json"), "{}").ok());
  ASSERT_FALSE(HandleDelete(*node_, Call({"delete", "c1"})).pass_through());
  EXPECT_EQ(MountedBeneath(Path("runc-root")), std::vector<std::string>{Path("runc-root/default/c1/criu-root")});
  EXPECT_FALSE(absl::StrContains(LogText(), "detached"));
  EXPECT_TRUE(state_->For("default", "c1").Recorded());
}

}  // namespace
}  // namespace tardis
