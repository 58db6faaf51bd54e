// create holds the container it restores stopped until containerd's start, and start
// continues it (container/criu_config_hold.h): against the scripted runc, with a real
// stopped process standing for the restored init. Every way the hold cannot be set up
// restores the container running, as before; a restore that fails leaves config.json as
// containerd wrote it.
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tardis/container/criu_config_hold.h"
#include "tardis/container/test_stopped_child.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/handler_fixture.h"
#include "tardis/lifecycle/start.h"

namespace tardis {
namespace {

using container::testing::StoppedChild;
using testing::HandlerFixture;

class RestoreHoldTest : public HandlerFixture {
 protected:
  std::string Read(const std::string& path) const {
    absl::StatusOr<std::string> text = ReadSmallFile(path, 1 << 20);
    return text.ok() ? *text : "(none)";
  }
  std::string CriuConfig(const std::string& id) const {
    return Path(absl::StrCat("state/containers/default/", id, "/restore-work/criu.conf"));
  }
  // What runc would give CRIU on this machine.
  std::string RuncConf() const {
    return Exists(container::kRuncCriuConfigPath) ? Read(container::kRuncCriuConfigPath) : "";
  }
  bool Has(const std::string& id, Flag flag) const { return state_->For("default", id).Consume(flag); }
};

TEST_F(RestoreHoldTest, TheRestoreLeavesTheTasksStoppedAndLaterDumpsDoNot) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  const std::string spec = Read(Path("bundle/config.json"));
  MakeImage("job1", {{"count", "17\n"}});
  MountRootfs();
  // What runc was given, as it restored: config.json and the file it names.
  ::setenv("FAKE_RUNC_RESTORE_RUNS",
           absl::StrCat("cp ", Path("bundle/config.json"), " ", Path("seen-config.json"), " && cp ",
                        CriuConfig("new-id"), " ", Path("seen-criu.conf"))
               .c_str(),
           1);
  const Outcome outcome = HandleCreate(*node_, CreateCall("new-id"));
  ASSERT_FALSE(outcome.pass_through()) << LogText();
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{"restore"});
  nlohmann::json seen = nlohmann::json::parse(Read(Path("seen-config.json")), nullptr, false);
  ASSERT_FALSE(seen.is_discarded());
  EXPECT_EQ(seen["annotations"]["org.criu.config"], CriuConfig("new-id"));
  EXPECT_EQ(Read(Path("seen-criu.conf")), container::HoldingCriuConfig(RuncConf()));
  EXPECT_EQ(Read(CriuConfig("new-id")), RuncConf()) << "released once the restore is over";
  EXPECT_TRUE(Has("new-id", Flag::kContinueAtStart));
  EXPECT_TRUE(Has("new-id", Flag::kSkipStart));
  EXPECT_NE(spec, Read(Path("bundle/config.json")));
}

TEST_F(RestoreHoldTest, ASpecNamingItsOwnCriuConfigurationIsRestoredRunning) {
  const std::string spec = nlohmann::json{{"ociVersion", "1.0.2"},
                                          {"root", {{"path", "rootfs"}}},
                                          {"process", {{"env", {"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"}}}},
                                          {"annotations", {{"org.criu.config", "/etc/criu/mine.conf"}}}}
                               .dump();
  ASSERT_TRUE(WriteFileAtomically(Path("bundle/config.json"), spec, 0644).ok());
  MakeImage("job1", {{"count", "17\n"}});
  MountRootfs();
  const Outcome outcome = HandleCreate(*node_, CreateCall("new-id"));
  ASSERT_FALSE(outcome.pass_through()) << LogText();
  EXPECT_EQ(Read(Path("bundle/config.json")), spec);
  EXPECT_FALSE(Exists(CriuConfig("new-id")));
  EXPECT_FALSE(Has("new-id", Flag::kContinueAtStart));
  EXPECT_TRUE(Has("new-id", Flag::kSkipStart));
  EXPECT_TRUE(absl::StrContains(LogText(), "not held until start: the spec names its own CRIU configuration"))
      << LogText();
}

TEST_F(RestoreHoldTest, AFailedRestoreLeavesConfigJsonAsContainerdWroteIt) {
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  const std::string spec = Read(Path("bundle/config.json"));
  MakeImage("job1", {{"count", "17\n"}});
  MountRootfs();
  ::setenv("FAKE_RUNC_RESTORE_EXIT", "1", 1);
  const Outcome outcome = HandleCreate(*node_, CreateCall("new-id"));
  EXPECT_TRUE(outcome.pass_through());
  EXPECT_EQ(Read(Path("bundle/config.json")), spec);
  EXPECT_EQ(Read(CriuConfig("new-id")), RuncConf());
  EXPECT_FALSE(Has("new-id", Flag::kContinueAtStart));
  EXPECT_FALSE(Has("new-id", Flag::kSkipStart));
}

class StartTest : public RestoreHoldTest {
 protected:
  void SetUp() override {
    RestoreHoldTest::SetUp();
    Enroll("c1", "job1");
  }
  Outcome Start() { return HandleStart(*node_, Call({"start", "c1"})); }
};

TEST_F(StartTest, ContinuesTheHeldContainer) {
  ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kSkipStart).ok());
  ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kContinueAtStart).ok());
  StoppedChild init;
  ::setenv("FAKE_RUNC_PID", absl::StrCat(init.pid()).c_str(), 1);
  const Outcome outcome = Start();
  ASSERT_FALSE(outcome.pass_through());
  EXPECT_EQ(outcome.exit_code(), 0) << LogText();
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{"state"});
  EXPECT_TRUE(init.Continued());
  EXPECT_FALSE(Has("c1", Flag::kContinueAtStart));
  EXPECT_FALSE(Has("c1", Flag::kSkipStart));
}

TEST_F(StartTest, AHeldContainerThatCannotBeContinuedFailsItsStartAndSaysWhy) {
  struct Case {
    const char* state_exit;
    const char* pid;
    const char* why;
  };
  const Case cases[] = {
      {"1", "0", "runc does not know the container"},
      {"0", "0", "runc state output has pid 0"},
      {"0", "4194304", "SIGCONT to pid 4194304"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kSkipStart).ok());
    ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kContinueAtStart).ok());
    ::setenv("FAKE_RUNC_STATE_EXIT", c.state_exit, 1);
    ::setenv("FAKE_RUNC_PID", c.pid, 1);
    const Outcome outcome = Start();
    ASSERT_FALSE(outcome.pass_through()) << c.why;
    EXPECT_EQ(outcome.exit_code(), 1) << c.why;
    EXPECT_TRUE(absl::StrContains(LogText(), absl::StrCat("c1: the restored container could not be continued: ", c.why)))
        << LogText();
  }
}

TEST_F(StartTest, ARunningRestoreIsSkippedWithoutRunc) {
  ASSERT_TRUE(state_->For("default", "c1").Set(Flag::kSkipStart).ok());
  const Outcome outcome = Start();
  ASSERT_FALSE(outcome.pass_through());
  EXPECT_EQ(outcome.exit_code(), 0);
  EXPECT_EQ(RuncCommands(), std::vector<std::string>{});
  EXPECT_TRUE(Start().pass_through()) << "the skip is used once";
}

}  // namespace
}  // namespace tardis
