// Golden, table-driven tests of DecideCheckpointIdentity().
#include "tardis/container/checkpoint_identity.h"

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

#include "tardis/testing/golden.h"

namespace tardis::container {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;

std::string Describe(const absl::StatusOr<CheckpointIdentity>& identity) {
  if (!identity.ok()) return identity.status().ToString();
  return absl::StrCat(IdentitySourceName(identity->source), " ", identity->name);
}

KubernetesNames NamesFrom(const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  EXPECT_EQ(parts.size(), 3u) << text;
  for (std::string& part : parts) {
    if (part == "-") part.clear();
  }
  return {parts.at(0), parts.at(1), parts.at(2)};
}

TEST(DecideCheckpointIdentityTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/container/checkpoint_identity.golden");
  ASSERT_GE(cases.size(), 20u);
  for (const GoldenCase& c : cases) {
    for (const auto& [key, value] : c.all()) {
      EXPECT_TRUE(key == "checkpoint_id" || key == "k8s" || key == "id" || key == "want")
          << "checkpoint_identity.golden:" << c.line << ": unknown key " << key;
    }
    EXPECT_EQ(Describe(DecideCheckpointIdentity(c["checkpoint_id"], NamesFrom(c["k8s"]), c["id"])), c["want"])
        << "checkpoint_identity.golden:" << c.line;
  }
}

TEST(DecideCheckpointIdentityTest, DerivedNamesAreAlwaysValidIdentities) {
  const std::string long_part(253, 'a');
  for (const KubernetesNames& names : {KubernetesNames{"a", "b", "c"}, KubernetesNames{long_part, long_part, long_part},
                                       KubernetesNames{"ns", long_part, "c"}}) {
    const absl::StatusOr<CheckpointIdentity> identity = DecideCheckpointIdentity("", names, "c1");
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_TRUE(ValidateCheckpointId(identity->name).ok()) << identity->name;
  }
}

}  // namespace
}  // namespace tardis::container
