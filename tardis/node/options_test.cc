#include "tardis/node/options.h"

#include <gtest/gtest.h>

#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <nlohmann/json.hpp>

#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

TEST(Options, GoldenCases) {
  const auto cases = tardis::testing::ReadGoldenCases("testdata/node/options/cases.golden");
  ASSERT_GT(cases.size(), 12u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("line ", c.line));
    std::vector<OptionSpec> spec;
    for (absl::string_view name : absl::StrSplit(c["spec"], ' ', absl::SkipEmpty())) {
      const bool takes_value = absl::ConsumeSuffix(&name, "=");
      spec.push_back({std::string(name), takes_value});
    }
    const std::vector<std::string> args = nlohmann::json::parse(c["args"]).get<std::vector<std::string>>();
    const absl::StatusOr<ParsedOptions> parsed = ParseOptions(args, spec);
    if (c.has("want_error")) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_EQ(parsed.status().message(), c["want_error"]);
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    std::vector<std::string> shown;
    if (parsed->help) shown.push_back("help");
    for (const std::string& flag : parsed->flags) shown.push_back(flag);
    for (const auto& [name, value] : parsed->values) shown.push_back(absl::StrCat(name, "=", value));
    EXPECT_EQ(absl::StrJoin(shown, " "), c["want"]);
  }
}

TEST(Options, Counts) {
  EXPECT_EQ(*ParseCount("parallel", "4", 1, 256), 4);
  EXPECT_EQ(ParseCount("parallel", "0", 1, 256).status().message(),
            "--parallel must be a whole number from 1 to 256, not `0`");
  EXPECT_FALSE(ParseCount("parallel", "2x", 1, 256).ok());
  EXPECT_FALSE(ParseCount("parallel", "257", 1, 256).ok());
  EXPECT_FALSE(ParseCount("parallel", "", 1, 256).ok());
}

}  // namespace
}  // namespace tardis::node
