#include "tardis/node/task_list.h"

#include <gtest/gtest.h>

#include <absl/strings/str_join.h>

#include "tardis/node/golden_text.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

constexpr char kDir[] = "testdata/node/tasks_ls";

TEST(TaskList, GoldenCases) {
  const auto cases = tardis::testing::ReadGoldenCases(absl::StrCat(kDir, "/cases.golden"));
  ASSERT_GT(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const auto tasks = ParseTaskList(testing::GoldenText(c["input"], kDir));
    if (c.has("want_error")) {
      ASSERT_FALSE(tasks.ok());
      EXPECT_TRUE(absl::StrContains(tasks.status().message(), c["want_error"])) << tasks.status();
      continue;
    }
    ASSERT_TRUE(tasks.ok()) << tasks.status();
    std::vector<std::string> shown;
    for (const auto& [id, task] : *tasks) {
      EXPECT_EQ(id, task.id);
      shown.push_back(absl::StrCat(task.id, " ", task.pid, " ", task.status));
    }
    EXPECT_EQ(absl::StrJoin(shown, " | "), c["want"]);
  }
}

TEST(TaskList, LiveStates) {
  EXPECT_TRUE(IsLive("RUNNING"));
  EXPECT_TRUE(IsLive("PAUSED"));
  for (const char* status : {"STOPPED", "CREATED", "PAUSING", "UNKNOWN", "none", ""}) EXPECT_FALSE(IsLive(status));
}

}  // namespace
}  // namespace tardis::node
