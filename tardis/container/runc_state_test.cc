// Golden, table-driven tests of what is read from runc's state, on real captures.
#include "tardis/container/runc_state.h"

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/container/read_runc_state.h"
#include "tardis/testing/golden.h"

namespace tardis::container {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestFile;

constexpr char kDir[] = "testdata/container/";

std::string Describe(const absl::StatusOr<std::string>& value) {
  return value.ok() ? *value : value.status().ToString();
}

TEST(RuncStateTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/container/runc_state.golden");
  ASSERT_GE(cases.size(), 30u);
  for (const GoldenCase& c : cases) {
    if (c.has("state") || c.has("state_file")) {
      const std::string text =
          c.has("state_file") ? ReadTestFile(kDir + c["state_file"]) : c["state"];
      EXPECT_EQ(Describe(BundleFromRuncState(text)), c["want"]) << "runc_state.golden:" << c.line;
    } else {
      ASSERT_TRUE(c.has("output") || c.has("output_file")) << "runc_state.golden:" << c.line;
      const std::string text =
          c.has("output_file") ? ReadTestFile(kDir + c["output_file"]) : c["output"];
      EXPECT_EQ(Describe(StatusFromRuncStateOutput(text)), c["want"])
          << "runc_state.golden:" << c.line;
    }
  }
}

TEST(InitPidFromRuncStateOutputTest, APositivePidOrAnError) {
  struct Case {
    const char* output;
    std::string want;
  };
  const Case cases[] = {
      {R"({"ociVersion":"1.0.2","id":"c1","pid":4242,"status":"created"})", "4242"},
      {R"({"pid":4194304})", "4194304"},
      {R"({"pid":4194305})", "INVALID_ARGUMENT: runc state output has pid 4194305"},
      {R"({"pid":0,"status":"stopped"})", "INVALID_ARGUMENT: runc state output has pid 0"},
      {R"({"pid":-1})", "INVALID_ARGUMENT: runc state output has pid -1"},
      {R"({"pid":"42"})", "INVALID_ARGUMENT: runc state output has no integer pid"},
      {R"({"pid":4.5})", "INVALID_ARGUMENT: runc state output has no integer pid"},
      {R"({"status":"running"})", "INVALID_ARGUMENT: runc state output has no integer pid"},
      {R"([4242])", "INVALID_ARGUMENT: runc state output is not an object"},
      {R"({"pid":1,"pid":2})", "INVALID_ARGUMENT: runc state output repeats the key \"pid\""},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<int> pid = InitPidFromRuncStateOutput(c.output);
    EXPECT_EQ(pid.ok() ? absl::StrCat(*pid) : pid.status().ToString(), c.want) << c.output;
  }
}

TEST(RuncStatePathTest, JoinsRootAndId) {
  EXPECT_EQ(RuncStatePath("/run/containerd/runc/default", "c1"),
            "/run/containerd/runc/default/c1/state.json");
  EXPECT_EQ(RuncStatePath("/run/runc/", "c1"), "/run/runc/c1/state.json");
  EXPECT_EQ(RuncStatePath("/", "c1"), "/c1/state.json");
}

TEST(ReadRuncBundleTest, ReadsTheStateFileOfAContainer) {
  const std::string root = absl::StrCat(::testing::TempDir(), "/runc-root");
  ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((root + "/c1").c_str(), 0700), 0);
  std::ofstream(root + "/c1/state.json")
      << ReadTestFile("testdata/container/runc_state/state.json");
  EXPECT_EQ(Describe(ReadRuncBundle(root, "c1")), "/srv/tardis-capture/bundle");
  EXPECT_TRUE(absl::IsNotFound(ReadRuncBundle(root, "c2").status()));
  for (const char* id : {"", ".", "..", "../c1", "c1/../c1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ReadRuncBundle(root, id).status())) << id;
  }
  EXPECT_TRUE(
      absl::IsInvalidArgument(ReadRuncBundle(root, absl::string_view("c1\0x", 4)).status()));
  ASSERT_EQ(::mkdir((root + "/bad").c_str(), 0700), 0);
  std::ofstream(root + "/bad/state.json") << "{";
  const absl::StatusOr<std::string> bad = ReadRuncBundle(root, "bad");
  EXPECT_EQ(bad.status().message(), root + "/bad/state.json: runc state.json is not valid JSON");
}

}  // namespace
}  // namespace tardis::container
