// Golden tests of the argvs Tardis runs instead of containerd's.
#include <string>
#include <vector>

#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tardis/runc/checkpoint_argv.h"
#include "tardis/runc/classify.h"
#include "tardis/runc/restore_argv.h"
#include "tardis/testing/golden.h"

namespace tardis::runc {
namespace {

std::vector<std::string> JsonArgv(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

TEST(RewriteTest, GoldenCases) {
  const auto cases = testing::ReadGoldenCases("testdata/runc/rewrite.golden");
  ASSERT_GE(cases.size(), 8u);
  for (const auto& c : cases) {
    const Invocation call = Classify(JsonArgv(c["argv"]));
    ASSERT_TRUE(call.understood) << "rewrite.golden:" << c.line << ": " << call.problem;
    std::string got;
    if (c["kind"] == "checkpoint") {
      got = nlohmann::json(Rebuild(CheckpointIntoImage(
                               call, c["image"], c["leave_running"] == "no" ? LeaveRunning::kNo : LeaveRunning::kYes)))
                .dump();
    } else {
      const std::vector<std::string> repeat = absl::StrSplit(c["repeat"], ' ', absl::SkipEmpty());
      const absl::StatusOr<Invocation> restore = RestoreInsteadOfCreate(call, c["image"], c["work"], repeat);
      got = restore.ok() ? nlohmann::json(Rebuild(*restore)).dump()
                         : "ERROR: " + std::string(restore.status().message());
      if (restore.ok()) {
        // What Tardis runs is itself an argv runc understands, as restore.
        const Invocation reparsed = Classify(Rebuild(*restore));
        EXPECT_TRUE(reparsed.understood) << reparsed.problem;
        EXPECT_EQ(reparsed.command_name, "restore");
        EXPECT_EQ(reparsed.id(), call.id());
      }
    }
    const std::string want = c["want"].rfind("ERROR:", 0) == 0 ? c["want"] : nlohmann::json::parse(c["want"]).dump();
    EXPECT_EQ(got, want) << "rewrite.golden:" << c.line;
  }
}

TEST(RewriteTest, OptionsToRepeatAtRestoreAreTheEnabledKnownOnes) {
  const Invocation call = Classify(std::vector<std::string>{
      "checkpoint", "--file-locks", "--tcp-established=false", "--shell-job", "--leave-running", "c1"});
  EXPECT_EQ(OptionsToRepeatAtRestore(call), (std::vector<std::string>{"file-locks", "shell-job"}));
}

TEST(RewriteTest, CallersImagePathIsWherePlainRuncWouldWrite) {
  struct Case {
    std::vector<std::string> argv;
    std::string cwd, want;
  };
  const std::vector<Case> cases = {
      {{"checkpoint", "--image-path", "/tmp/ctd-checkpoint1", "c1"}, "/run/x", "/tmp/ctd-checkpoint1"},
      {{"checkpoint", "--image-path=/tmp/ctd-checkpoint2", "c1"}, "/", "/tmp/ctd-checkpoint2"},
      {{"checkpoint", "--image-path", "images", "c1"}, "/run/x", "/run/x/images"},
      {{"checkpoint", "--image-path", "images", "c1"}, "/", "/images"},
      {{"checkpoint", "--image-path=", "c1"}, "/run/x", "/run/x/checkpoint"},
      {{"checkpoint", "--leave-running", "c1"}, "/run/x", "/run/x/checkpoint"},
  };
  for (const Case& c : cases) {
    const Invocation call = Classify(c.argv);
    ASSERT_TRUE(call.understood) << call.problem;
    EXPECT_EQ(CallersImagePath(call, c.cwd), c.want) << absl::StrJoin(c.argv, " ");
  }
}

}  // namespace
}  // namespace tardis::runc
