// The install planner on described nodes: each case is the options and what install saw
// on the node, and the plan it makes, as text, is compared with a file under
// testdata/install_plan/ (or the refusal with want_error).
#include "tardis/node/install_plan.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "tardis/node/golden_text.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

using ::tardis::node::testing::GoldenText;
using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;

constexpr char kDir[] = "testdata/install_plan";
constexpr char kUnitTemplate[] = "[Service]\nExecStart=/usr/local/bin/tardis-listen\n";

// `absent`, `error: WHY` (the read failed), or the file's text.
absl::StatusOr<std::optional<std::string>> FileFact(const GoldenCase& c, const std::string& key) {
  if (!c.has(key) || c[key] == "absent") return std::optional<std::string>();
  if (absl::StartsWith(c[key], "error: ")) return absl::PermissionDeniedError(c[key].substr(7));
  return std::optional<std::string>(GoldenText(c[key], kDir));
}

bool Flag(const GoldenCase& c, const std::string& key, bool otherwise) {
  return c.has(key) ? c[key] == "true" : otherwise;
}

InstallOptions OptionsOf(const GoldenCase& c) {
  InstallOptions options;
  options.mode = c.has("mode") ? c["mode"] : "config";
  options.runtime_handler = c["runtime_handler"];
  options.force = Flag(c, "force", false);
  options.unit_template = kUnitTemplate;
  if (c.has("tardis_config_path")) options.tardis_config = c["tardis_config_path"];
  return options;
}

NodeFacts FactsOf(const GoldenCase& c) {
  NodeFacts facts;
  facts.installed = Flag(c, "installed", false);
  facts.from = "/opt/tardis/bin";
  if (c.has("missing")) facts.missing_binaries = absl::StrSplit(c["missing"], ' ');
  facts.real_runc = c.has("real_runc") ? c["real_runc"] : "/usr/sbin/runc";
  facts.real_runc_executable = Flag(c, "real_runc_executable", true);
  facts.real_runc_is_tardis_link = Flag(c, "real_runc_is_tardis_link", false);
  facts.tardis_config = FileFact(c, "tardis_config");
  facts.configured_real_runc_is_sbin_runc = Flag(c, "configured_real_runc_is_sbin_runc", false);
  facts.configured_real_runc_executable = Flag(c, "configured_real_runc_executable", true);
  facts.containerd_config = FileFact(c, "containerd_config");
  if (c["runc_in_sbin"] == "tardis") facts.runc_in_sbin = RuncInSbin::kTardisLink;
  if (c["runc_in_sbin"] == "other") facts.runc_in_sbin = RuncInSbin::kOther;
  facts.path_env = c.has("path") ? c["path"] : "/usr/local/sbin:/usr/sbin:/usr/bin";
  facts.systemd = Flag(c, "systemd", false);
  return facts;
}

std::string PlanText(const InstallPlan& plan) {
  return absl::StrCat("record: mode=", plan.record.mode, " runtime_handler=", plan.record.runtime_handler,
                      " prefix=", plan.record.prefix, "\n", DescribeSteps(plan.steps));
}

TEST(InstallPlan, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(absl::StrCat(kDir, "/cases.golden"));
  ASSERT_GT(cases.size(), 20u);
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const absl::StatusOr<InstallPlan> plan = PlanInstall(OptionsOf(c), FactsOf(c));
    if (c.has("want_error")) {
      ASSERT_FALSE(plan.ok()) << PlanText(*plan);
      EXPECT_TRUE(absl::StrContains(plan.status().message(), c["want_error"])) << plan.status();
      if (c.has("want_code")) {
        EXPECT_EQ(absl::StatusCodeToString(plan.status().code()), c["want_code"]);
      }
      continue;
    }
    ASSERT_TRUE(plan.ok()) << plan.status();
    const std::string text = PlanText(*plan);
    // TARDIS_UPDATE_GOLDEN=<dir>: write what the planner makes there, to review and copy;
    // the test then fails, so an update never passes by reading back what it wrote.
    if (const char* update = std::getenv("TARDIS_UPDATE_GOLDEN")) {
      std::ofstream(absl::StrCat(update, "/", c["want"]), std::ios::binary) << text;
      ADD_FAILURE() << "wrote " << update << "/" << c["want"];
    }
    EXPECT_EQ(text, tardis::testing::ReadTestFile(absl::StrCat(kDir, "/", c["want"]))) << text;
  }
}

// Uninstall's steps, from records of every shape install writes: the steps install
// planned, in the same order.
TEST(InstallPlan, StepsFromRecords) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(absl::StrCat(kDir, "/records.golden"));
  ASSERT_GT(cases.size(), 4u);
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const absl::StatusOr<InstallRecord> record = ParseInstallRecord(GoldenText(c["record"], kDir));
    ASSERT_TRUE(record.ok()) << record.status();
    const std::string text = DescribeSteps(StepsFromRecord(*record));
    if (const char* update = std::getenv("TARDIS_UPDATE_GOLDEN")) {
      std::ofstream(absl::StrCat(update, "/", c["want"]), std::ios::binary) << text;
      ADD_FAILURE() << "wrote " << update << "/" << c["want"];
    }
    EXPECT_EQ(text, tardis::testing::ReadTestFile(absl::StrCat(kDir, "/", c["want"]))) << text;
  }
}

}  // namespace
}  // namespace tardis::node
