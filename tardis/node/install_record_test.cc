#include "tardis/node/install_record.h"

#include <gtest/gtest.h>

#include <absl/strings/str_join.h>

#include "tardis/config/host_config.h"
#include "tardis/node/toml_lines.h"
#include "tardis/node/utf8.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

TEST(Utf8, WellFormedOnly) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("/var/lib/tardis"));
  EXPECT_TRUE(IsUtf8("/srv/k\xc3\xb6ln/\xe2\x82\xac/\xf0\x9f\x98\x80"));  // ö € 😀
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "a\x80" "b", "\xe2\x82"}) {
    EXPECT_FALSE(IsUtf8(bad)) << bad;
  }
}

TEST(InstallRecord, RoundTrip) {
  InstallRecord record;
  record.mode = "config";
  record.prefix = "/usr/local/lib/tardis";
  record.created_dirs = {"/usr/local/lib/tardis", "/var/lib/tardis", "/var/lib/tardis/install"};
  record.binaries = {{"/usr/local/lib/tardis/tardis-runc", ""},
                     {"/usr/local/lib/tardis/tardisctl", "/var/lib/tardis/install/previous/tardis.tardisctl"}};
  record.containerd_config = "/etc/containerd/config.toml";
  record.containerd_config_existed = true;
  record.tardis_config = "/etc/tardis/tardis.conf";
  record.tardis_config_written = true;
  record.unit = {"/etc/systemd/system/tardis-listen.service", ""};
  record.systemd = true;
  const absl::StatusOr<InstallRecord> parsed = ParseInstallRecord(SerializeInstallRecord(record));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, record);
}

TEST(InstallRecord, Refusals) {
  const auto cases = tardis::testing::ReadGoldenCases("testdata/node/install/records.golden");
  ASSERT_GT(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("line ", c.line));
    const absl::StatusOr<InstallRecord> parsed = ParseInstallRecord(c["record"]);
    if (c.has("want")) {
      EXPECT_TRUE(parsed.ok()) << parsed.status();
      continue;
    }
    ASSERT_FALSE(parsed.ok());
    EXPECT_TRUE(absl::StrContains(parsed.status().message(), c["want_error"])) << parsed.status();
  }
}

TEST(InstallRecord, ListenerUnit) {
  const std::string unit_template = tardis::testing::ReadTestFile("cmd/tardis-listen.service");
  ASSERT_TRUE(absl::StrContains(unit_template, "ExecStart="));
  const auto cases = tardis::testing::ReadGoldenCases("testdata/node/install/unit.golden");
  ASSERT_EQ(cases.size(), 2u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("line ", c.line));
    const std::string unit =
        RenderListenerUnit(unit_template, c["tardis_listen"], c["tardis_config"], "/etc/tardis/tardis.conf");
    // The difference, line by line (the unit only ever gains lines around ExecStart).
    std::vector<std::string> before, after, diff;
    for (const toml::Line& line : toml::SplitLines(unit_template)) before.push_back(line.content);
    for (const toml::Line& line : toml::SplitLines(unit)) after.push_back(line.content);
    for (const std::string& line : before) {
      if (std::find(after.begin(), after.end(), line) == after.end()) diff.push_back("-" + line);
    }
    for (const std::string& line : after) {
      if (std::find(before.begin(), before.end(), line) == before.end()) diff.push_back("+" + line);
    }
    EXPECT_EQ(absl::StrJoin(diff, " | "), c["want"]);
    EXPECT_EQ(after.size(), before.size() + (c["tardis_config"] == "/etc/tardis/tardis.conf" ? 0 : 1));
  }
}

TEST(InstallRecord, DefaultHostConfigReadsCleanly) {
  const ParsedHostConfig parsed = ParseHostConfig(DefaultHostConfigText("/usr/bin/runc"));
  EXPECT_TRUE(parsed.problems.empty()) << absl::StrJoin(parsed.problems, "; ");
  EXPECT_EQ(parsed.config.real_runc, "/usr/bin/runc");
  const HostConfig defaults;
  EXPECT_EQ(parsed.config.log_file, defaults.log_file);
  EXPECT_EQ(parsed.config.log_level, defaults.log_level);
  EXPECT_EQ(parsed.config.state_dir, defaults.state_dir);
  EXPECT_EQ(parsed.config.checkpoint_base, defaults.checkpoint_base);
}

}  // namespace
}  // namespace tardis::node
