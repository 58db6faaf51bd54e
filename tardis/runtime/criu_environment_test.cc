#include "tardis/runtime/criu_environment.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tardis {
namespace {

struct Case {
  const char* name;
  std::vector<const char*> given;  // without the terminating nullptr
  std::vector<std::string> expected;
};

class EnvironmentForCriuTest : public ::testing::TestWithParam<Case> {};

TEST_P(EnvironmentForCriuTest, AddsTheSwitchOnlyWhenAbsent) {
  std::vector<const char*> environment = GetParam().given;
  environment.push_back(nullptr);
  EXPECT_EQ(EnvironmentForCriu(environment.data()), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, EnvironmentForCriuTest,
    ::testing::Values(
        Case{"Empty", {}, {"CRIU_FAULT=130"}},
        Case{"OthersKeptInOrder", {"PATH=/usr/bin", "HOME=/root"}, {"PATH=/usr/bin", "HOME=/root", "CRIU_FAULT=130"}},
        Case{"AdministratorsValueKept", {"CRIU_FAULT=5", "PATH=/bin"}, {"CRIU_FAULT=5", "PATH=/bin"}},
        Case{"EmptyValueKept", {"CRIU_FAULT="}, {"CRIU_FAULT="}},
        Case{"SimilarNamesAreOtherVariables",
             {"CRIU_FAULTS=1", "XCRIU_FAULT=2", "CRIU_FAULT"},
             {"CRIU_FAULTS=1", "XCRIU_FAULT=2", "CRIU_FAULT", "CRIU_FAULT=130"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(EnvironmentForCriu, NullEnvironmentGivesTheSwitchAlone) {
  EXPECT_EQ(EnvironmentForCriu(nullptr), std::vector<std::string>{"CRIU_FAULT=130"});
}

TEST(DrivesCriu, OnlyCheckpointAndRestore) {
  for (const char* command : {"checkpoint", "restore"}) EXPECT_TRUE(DrivesCriu(command)) << command;
  for (const char* command : {"", "create", "start", "exec", "delete", "pause", "resume", "state", "Checkpoint",
                              "checkpoint ", "restores"}) {
    EXPECT_FALSE(DrivesCriu(command)) << command;
  }
}

}  // namespace
}  // namespace tardis
