// What tardis-runc's front-end relies on when it runs runc directly for start, resume and
// delete of a container Tardis keeps nothing for, and for the create of one whose
// config.json does not opt in (fastpath/decide.h, kExecRuncUnlessKnown and
// kExecRuncUnlessOptedIn): with no <state_dir>/containers/<ns>/<id>, each of these
// handlers passes the call through untouched and leaves nothing behind. And with state
// there, the front-end must not skip them: each acts on it.
#include <sys/stat.h>

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/fastpath/decide.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/delete.h"
#include "tardis/lifecycle/handler_fixture.h"
#include "tardis/lifecycle/resume.h"
#include "tardis/lifecycle/start.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

class StateOnlyTest : public HandlerFixture {
 protected:
  Outcome Handle(const std::vector<std::string>& command) {
    const runc::Invocation call = Call(command);
    if (command[0] == "start") return HandleStart(*node_, call);
    if (command[0] == "resume") return HandleResume(*node_, call);
    return HandleDelete(*node_, call);
  }
  bool Exists(const std::string& path) const {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
};

const std::vector<std::vector<std::string>>& Calls() {
  static const auto* calls = new std::vector<std::vector<std::string>>{
      {"start", "c1"}, {"resume", "c1"}, {"delete", "c1"}, {"delete", "--force", "c1"}, {"delete", "-f", "c1"}};
  return *calls;
}

TEST_F(StateOnlyTest, WithoutStateEachPassesThroughAndLeavesNothing) {
  // A container that does not opt in: create keeps nothing for it either.
  WriteSpec({"PATH=/bin"});
  ASSERT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  for (const std::vector<std::string>& command : Calls()) {
    EXPECT_TRUE(Handle(command).pass_through()) << command[0] << "\n" << LogText();
    EXPECT_FALSE(Exists(Path("state/containers/default/c1"))) << command[0];
  }
  EXPECT_TRUE(RuncCommands().empty()) << "a pass-through is the caller's to run";
}

TEST_F(StateOnlyTest, WithStateEachActsOnIt) {
  WriteSpec({"TARDIS_ENABLE=1"});
  ASSERT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  ASSERT_TRUE(Exists(Path("state/containers/default/c1")));
  ContainerState state = state_->For("default", "c1");
  // An opted-in container's start and resume act only on their flags (the front-end
  // looks for these very files: fastpath::kSkipStartFlag, kSkipResumeFlag).
  EXPECT_TRUE(Handle({"start", "c1"}).pass_through());
  EXPECT_TRUE(Handle({"resume", "c1"}).pass_through());
  ASSERT_TRUE(state.Set(Flag::kSkipStart).ok());
  ASSERT_TRUE(state.Set(Flag::kSkipResume).ok());
  EXPECT_TRUE(Exists(Path(absl::StrCat("state/containers/default/c1/", fastpath::kSkipStartFlag))));
  EXPECT_TRUE(Exists(Path(absl::StrCat("state/containers/default/c1/", fastpath::kSkipResumeFlag))));
  EXPECT_FALSE(Handle({"start", "c1"}).pass_through()) << "a restored container's start is skipped";
  EXPECT_FALSE(Handle({"resume", "c1"}).pass_through()) << "a checkpointed container's resume is skipped";
  EXPECT_FALSE(Handle({"delete", "--force", "c1"}).pass_through()) << "delete decides the image's fate";
}

}  // namespace
}  // namespace tardis
