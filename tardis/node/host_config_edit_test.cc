#include "tardis/node/host_config_edit.h"

#include <gtest/gtest.h>

#include "tardis/config/host_config.h"
#include "tardis/node/golden_text.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

constexpr char kDir[] = "testdata/node/host_config";

TEST(HostConfigEdit, GoldenCases) {
  const auto cases = tardis::testing::ReadGoldenCases(absl::StrCat(kDir, "/set_value.golden"));
  ASSERT_GT(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const std::string edited = SetHostConfigValue(testing::GoldenText(c["input"], kDir), c["key"], c["value"]);
    EXPECT_EQ(edited, testing::GoldenText(c["want"], kDir));
    // What the binaries will read.
    const ParsedHostConfig parsed = ParseHostConfig(edited);
    // Only lines that were already a problem may remain one.
    EXPECT_EQ(parsed.problems.size(), c.has("problems") ? std::stoul(c["problems"]) : 0u);
    const std::string read_back =
        c["key"] == "log_level" ? std::string(LogLevelName(parsed.config.log_level)) : parsed.config.log_file;
    EXPECT_EQ(read_back, c["value"]);
  }
}

TEST(HostConfigEdit, LogLevels) {
  EXPECT_EQ(*CanonicalLogLevel("debug"), "DEBUG");
  EXPECT_EQ(*CanonicalLogLevel("Warning"), "WARNING");
  EXPECT_EQ(*CanonicalLogLevel("ERROR"), "ERROR");
  EXPECT_FALSE(CanonicalLogLevel("verbose").ok());
  EXPECT_FALSE(CanonicalLogLevel("").ok());
  EXPECT_FALSE(CanonicalLogLevel("INFO ").ok());
}

TEST(HostConfigEdit, LogFiles) {
  EXPECT_TRUE(ValidateLogFile("/var/log/tardis/tardis.log").ok());
  EXPECT_TRUE(ValidateLogFile("/tmp/with space/t.log").ok());
  for (const char* bad : {"", "relative.log", "/a#b.log", "/a\nb", "/a.log ", "/a\tb"}) {
    EXPECT_FALSE(ValidateLogFile(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tardis::node
