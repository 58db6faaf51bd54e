// HandleRestore(): a restore someone else started (Docker's `docker start --checkpoint`)
// is always runc's to do; Tardis only enrolls the container when its bundle opts in.
// Every branch passes the call through untouched and runs nothing of its own; what
// differs is whether the container is known afterwards (record and lease) and what the
// log says.
#include <limits.h>
#include <sys/mount.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/handler_fixture.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/lifecycle/restore.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

class RestoreTest : public HandlerFixture {
 protected:
  void SetUp() override {
    HandlerFixture::SetUp();
    char cwd[PATH_MAX];
    ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
    cwd_ = cwd;
  }
  void TearDown() override {
    ASSERT_EQ(::chdir(cwd_.c_str()), 0);
    HandlerFixture::TearDown();
  }

  std::string cwd_;
};

TEST_F(RestoreTest, PassesThroughAndEnrollsOnlyWhatOptsIn) {
  const std::vector<std::string> kOptedIn = {"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"};
  struct Case {
    const char* what;
    std::function<void()> prepare;  // the bundle and node as the case has them
    bool with_bundle_option;        // --bundle <bundle>; else runc's default, the working directory
    std::string id;
    bool enrolled;        // recorded, and the job's lease held
    const char* logged;   // in the log ("" when nothing in particular)
  };
  const std::string config = Path("bundle/config.json");
  const Case cases[] = {
      {"no --bundle, a working directory without config.json",
       [&] { ASSERT_EQ(::chdir(Path("callers").c_str()), 0); }, false, "c1", false, ""},
      {"no --bundle, the working directory an opted-in bundle (runc's default)",
       [&] {
         WriteSpec(kOptedIn);
         ASSERT_EQ(::chdir(Bundle().c_str()), 0);
       },
       false, "c1", true, "default/c1: restoring from the caller's own checkpoint"},
      {"a bundle without config.json", [&] { ASSERT_EQ(::unlink(config.c_str()), 0); }, true, "c1", false, ""},
      {"config.json a directory",
       [&] {
         ASSERT_EQ(::unlink(config.c_str()), 0);
         ASSERT_TRUE(MakeDirectories(config, 0755).ok());
       },
       true, "c1", false, ""},
      {"config.json larger than create reads",
       [&] {
         WriteSpec(kOptedIn);
         ASSERT_EQ(::truncate(config.c_str(), create_internal::kMaxConfigJsonBytes + 1), 0);
       },
       true, "c1", false, ""},
      {"config.json not JSON",
       [&] { ASSERT_TRUE(WriteFileAtomically(config, "{\"process\": {\"env\": [\"TARDIS_ENABLE=1\"", 0644).ok()); },
       true, "c1", false, "default/c1: unreadable settings in config.json"},
      {"a config that does not opt in", [&] { WriteSpec({"PATH=/bin"}); }, true, "c1", false, ""},
      {"opted in, an id that cannot name state", [&] { WriteSpec(kOptedIn); }, true, "a/b", false,
       "restore: namespace \"default\" or id \"a/b\" is not usable in paths; not opted in"},
      {"opted in", [&] { WriteSpec(kOptedIn); }, true, "c1", true,
       "default/c1: restoring from the caller's own checkpoint"},
      {"opted in, the state dir read-only (enrolling fails)",
       [&] {
         WriteSpec(kOptedIn);
         ASSERT_EQ(::mount(Path("state").c_str(), Path("state").c_str(), nullptr, MS_BIND, nullptr), 0);
         ASSERT_EQ(::mount(nullptr, Path("state").c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0);
       },
       true, "c1", false, "default/c1: recording the container: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    // A bundle whose config.json names no one, and a node with nothing kept.
    (void)RemoveTree(config);
    WriteSpec({"PATH=/bin"});
    ASSERT_EQ(::chdir(cwd_.c_str()), 0);
    c.prepare();
    if (HasFatalFailure()) return;
    std::vector<std::string> command = {"restore", "--detach", "--image-path", Path("docker-checkpoint")};
    if (c.with_bundle_option) command.insert(command.end(), {"--bundle", Bundle()});
    command.push_back(c.id);
    const runc::Invocation call = Call(command);
    ASSERT_EQ(call.id(), c.id);
    const size_t log_before = LogText().size();

    EXPECT_TRUE(HandleRestore(*node_, call).pass_through());
    (void)::umount2(Path("state").c_str(), MNT_DETACH);  // the read-only case's
    EXPECT_EQ(RuncCommands(), std::vector<std::string>{}) << "the restore itself is the caller's to run";
    const LeaseHolder me = ThisContainer(*node_, call);
    const std::string lease = ImagePaths::Of(ImageDir("job1")).lease();
    if (HasValidIdentity(call)) {
      EXPECT_EQ(state_->For("default", c.id).Recorded().has_value(), c.enrolled) << LogText();
    }
    EXPECT_EQ(CheckLeaseHeld(lease, me).ok(), c.enrolled) << "a lease only with a record";
    const std::string log = LogText().substr(log_before);
    if (*c.logged != '\0') {
      EXPECT_TRUE(absl::StrContains(log, c.logged)) << log;
    }
    if (!c.enrolled) {
      EXPECT_FALSE(absl::StrContains(log, "restoring from the caller's own checkpoint")) << log;
    }

    if (HasValidIdentity(call)) (void)state_->For("default", c.id).Forget();
    ReleaseLease(lease, me);
  }
}

}  // namespace
}  // namespace tardis
