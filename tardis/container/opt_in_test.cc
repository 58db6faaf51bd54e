// Golden, table-driven tests of ReadContainerSettings().
#include "tardis/container/opt_in.h"

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/testing/golden.h"

namespace tardis::container {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestFile;

std::string Describe(const absl::StatusOr<ContainerSettings>& settings) {
  if (!settings.ok()) return settings.status().ToString();
  if (!settings->enabled) return "not enabled";
  std::string out = absl::StrCat("enabled mode=", StorageModeName(settings->mode));
  const auto field = [&](const char* name, const std::string& value) {
    if (!value.empty()) absl::StrAppend(&out, " ", name, "=", value);
  };
  field("checkpoint_host_path", settings->checkpoint_host_path);
  field("networkfs_host_path", settings->networkfs_host_path);
  field("workdir_container_path", settings->workdir_container_path);
  field("checkpoint_id", settings->checkpoint_id);
  if (settings->kubernetes.complete()) {
    absl::StrAppend(&out, " k8s=", settings->kubernetes.sandbox_namespace, "/", settings->kubernetes.sandbox_name,
                    "/", settings->kubernetes.container_name);
  }
  field("root_path", settings->root_path);
  return out;
}

// The fixture's one escape: \xNN is a raw byte (JSON itself has no \x escape).
std::string UnescapeBytes(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "\\x") == 0 && i + 3 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

TEST(ReadContainerSettingsTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/container/opt_in.golden");
  ASSERT_GE(cases.size(), 50u);
  for (const GoldenCase& c : cases) {
    const std::string config =
        c.has("config_file") ? ReadTestFile(c["config_file"]) : UnescapeBytes(c["config"]);
    EXPECT_EQ(Describe(ReadContainerSettings(config)), c["want"]) << "opt_in.golden:" << c.line;
  }
}

TEST(ReadContainerSettingsTest, RefusesHostileNestingWithoutCrashing) {
  const std::string deep =
      absl::StrCat("{\"process\":{\"env\":[\"TARDIS_ENABLE=1\"]},\"x\":", std::string(100000, '['),
                   std::string(100000, ']'), "}");
  EXPECT_EQ(Describe(ReadContainerSettings(deep)),
            "INVALID_ARGUMENT: config.json is nested deeper than 512 levels");
  const std::string fine =
      absl::StrCat("{\"process\":{\"env\":[\"TARDIS_ENABLE=1\"]},\"x\":", std::string(500, '['),
                   std::string(500, ']'), "}");
  EXPECT_EQ(Describe(ReadContainerSettings(fine)), "enabled mode=default_base");
}

TEST(StorageModeTest, Names) {
  EXPECT_EQ(StorageModeName(StorageMode::kDefaultBase), "default_base");
  EXPECT_EQ(StorageModeName(StorageMode::kCheckpointHostPath), "checkpoint_host_path");
  EXPECT_EQ(StorageModeName(StorageMode::kNetworkFs), "networkfs");
}

}  // namespace
}  // namespace tardis::container
