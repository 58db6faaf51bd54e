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
