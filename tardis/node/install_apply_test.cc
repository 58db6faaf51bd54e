// install's apply loop with scripted steps: a step fails at each position in turn, and
// the steps done before it (and it, which may have half-happened) are undone in reverse,
// reloads last; the journal the steps keep says what was done and undone.
#include "tardis/node/install_apply.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <absl/strings/str_join.h>

namespace tardis::node {
namespace {

struct FakeStep {
  std::string name;
  bool undone_last = false;
};

TEST(InstallApply, UndoOrder) {
  struct Case {
    std::vector<bool> last;
    size_t count;
    std::vector<size_t> want;
  };
  const std::vector<Case> cases = {
      {{}, 0, {}},
      {{false, false, false}, 3, {2, 1, 0}},
      {{false, false, false}, 2, {1, 0}},
      {{true, false, true, false}, 4, {3, 1, 0, 2}},
      {{true, false, true, false}, 2, {1, 0}},
      {{false, true, false, true}, 3, {2, 0, 1}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(UndoOrder(c.last, c.count), c.want) << absl::StrJoin(c.want, ",");
  }
}

// install's usual shape: files, then a reload, a service, a restart (both reloads).
const std::vector<FakeStep> kSteps = {{"binaries"}, {"tardis.conf"}, {"containerd config"}, {"unit"},
                                      {"daemon-reload", true},       {"enable"},   {"restart", true}};

TEST(InstallApply, AFailureAtEachPositionUndoesWhatWasDone) {
  struct Case {
    int fail_at;  // -1: none fails
    std::string want_log;
    std::string want_journal;  // what is still recorded as done afterwards
  };
  const std::vector<Case> cases = {
      {-1, "do binaries|do tardis.conf|do containerd config|do unit|do daemon-reload|do enable|do restart",
       "binaries,tardis.conf,containerd config,unit,daemon-reload,enable,restart"},
      {0, "do binaries|FAIL binaries|undo binaries", ""},
      {1, "do binaries|do tardis.conf|FAIL tardis.conf|undo tardis.conf|undo binaries", ""},
      {3,
       "do binaries|do tardis.conf|do containerd config|do unit|FAIL unit|undo unit|undo containerd config|"
       "undo tardis.conf|undo binaries",
       ""},
      {4,
       "do binaries|do tardis.conf|do containerd config|do unit|do daemon-reload|FAIL daemon-reload|undo unit|"
       "undo containerd config|undo tardis.conf|undo binaries|undo daemon-reload",
       ""},
      {6,
       "do binaries|do tardis.conf|do containerd config|do unit|do daemon-reload|do enable|do restart|FAIL restart|"
       "undo enable|undo unit|undo containerd config|undo tardis.conf|undo binaries|undo daemon-reload|undo restart",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("failing at ", c.fail_at));
    std::vector<std::string> log, journal, said;
    StepCalls<FakeStep> calls;
    // Each step journals itself before it acts, as the real ones do.
    calls.run = [&](const FakeStep& step) {
      journal.push_back(step.name);
      log.push_back("do " + step.name);
      if (c.fail_at >= 0 && step.name == kSteps[c.fail_at].name) {
        log.push_back("FAIL " + step.name);
        return absl::UnavailableError(absl::StrCat(step.name, " broke"));
      }
      return absl::OkStatus();
    };
    calls.undo = [&](const FakeStep& step) {
      log.push_back("undo " + step.name);
      journal.erase(std::find(journal.begin(), journal.end(), step.name));
    };
    calls.undone_last = [](const FakeStep& step) { return step.undone_last; };
    const absl::Status applied = ApplySteps(kSteps, calls, [&](const std::string& line) { said.push_back(line); });

    EXPECT_EQ(absl::StrJoin(log, "|"), c.want_log);
    EXPECT_EQ(absl::StrJoin(journal, ","), c.want_journal);
    if (c.fail_at < 0) {
      EXPECT_TRUE(applied.ok()) << applied;
      EXPECT_TRUE(said.empty());
      continue;
    }
    EXPECT_TRUE(absl::IsUnavailable(applied)) << applied;
    EXPECT_EQ(absl::StrJoin(said, "|"),
              absl::StrCat("install failed: ", kSteps[c.fail_at].name, " broke; undoing what it did"));
  }
}

TEST(InstallApply, UndoStepsUndoesAllOfARecordInTheSameOrder) {
  std::vector<std::string> log;
  StepCalls<FakeStep> calls;
  calls.run = [](const FakeStep&) { return absl::InternalError("uninstall does nothing"); };
  calls.undo = [&](const FakeStep& step) { log.push_back(step.name); };
  calls.undone_last = [](const FakeStep& step) { return step.undone_last; };
  UndoSteps(kSteps, kSteps.size(), calls);
  EXPECT_EQ(absl::StrJoin(log, "|"),
            "enable|unit|containerd config|tardis.conf|binaries|daemon-reload|restart");
}

}  // namespace
}  // namespace tardis::node
