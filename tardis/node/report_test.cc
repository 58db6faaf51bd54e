#include "tardis/node/report.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tardis/node/golden_text.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

constexpr char kDir[] = "testdata/node/report";

FinalizeReport FinalizeFrom(const nlohmann::json& json) {
  FinalizeReport report;
  report.parallel = json.at("parallel").get<int>();
  report.duration_nanos = json.at("duration_ms").get<int64_t>() * 1000000;
  for (const nlohmann::json& r : json.at("rows")) {
    FinalizeRow row;
    row.ns = r.at("ns").get<std::string>();
    row.id = r.at("id").get<std::string>();
    row.identity = r.value("identity", row.id);
    const std::string result = r.at("result").get<std::string>();
    row.result = result == "checkpointed" ? FinalizeResult::kCheckpointed
                 : result == "skipped"    ? FinalizeResult::kSkipped
                                          : FinalizeResult::kFailed;
    row.reason = r.value("reason", "");
    row.duration_nanos = r.value("duration_ms", int64_t{0}) * 1000000;
    if (r.contains("image_bytes")) row.image_bytes = r.at("image_bytes").get<uint64_t>();
    row.image_dir = r.value("image_dir", "");
    report.rows.push_back(row);
  }
  return report;
}

StatusReport StatusFrom(const nlohmann::json& json) {
  StatusReport report;
  report.listener_alive = json.at("listener_alive").get<bool>();
  if (json.contains("listener_pid")) report.listener_pid = json.at("listener_pid").get<int64_t>();
  report.now_unix_nanos = json.at("now").get<int64_t>();
  report.problems = json.value("problems", std::vector<std::string>{});
  for (const nlohmann::json& r : json.at("rows")) {
    StatusRow row;
    row.ns = r.at("ns").get<std::string>();
    row.id = r.at("id").get<std::string>();
    row.identity = r.value("identity", row.id);
    row.opted_in = r.at("opted_in").get<bool>();
    row.task = r.at("task").get<std::string>();
    const nlohmann::json& image = r.at("image");
    row.image.present = image.value("present", false);
    row.image.valid = image.value("valid", false);
    row.image.problem = image.value("problem", "");
    row.image.dir = image.value("dir", "");
    row.image.bytes = image.value("bytes", uint64_t{0});
    if (image.contains("created")) row.image.created_unix_nanos = image.at("created").get<int64_t>();
    row.checkpoint_interval_ms = r.value("interval_ms", int64_t{0});
    if (r.contains("last")) {
      const nlohmann::json& last = r.at("last");
      row.last_checkpoint = CheckpointStats{true, 0, last.at("finished").get<int64_t>(),
                                            last.at("frozen").get<int64_t>(), last.at("dump").get<int64_t>(),
                                            last.at("archive").get<int64_t>(), last.at("bytes").get<int64_t>(),
                                            last.value("problem", "")};
    }
    report.rows.push_back(row);
  }
  return report;
}

TEST(Report, GoldenCases) {
  const auto cases = tardis::testing::ReadGoldenCases(absl::StrCat(kDir, "/cases.golden"));
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    std::string json;
    std::string table;
    if (c.has("finalize")) {
      const FinalizeReport report = FinalizeFrom(nlohmann::json::parse(c["finalize"]));
      json = JsonText(FinalizeJson(report));
      table = FormatFinalizeTable(report);
      EXPECT_EQ(report.ExitCode(), report.Count(FinalizeResult::kFailed) > 0 ? 1 : 0);
    } else {
      const StatusReport report = StatusFrom(nlohmann::json::parse(c["status"]));
      json = JsonText(StatusJson(report));
      table = FormatStatusTable(report);
    }
    // TARDIS_UPDATE_GOLDEN=<dir>: writes what the code prints there, and fails.
    tardis::testing::ExpectGoldenFile(json, kDir, c["want_json"]);
    tardis::testing::ExpectGoldenFile(table, kDir, c["want_table"]);
  }
}

TEST(Report, Formats) {
  const auto cases = tardis::testing::ReadGoldenCases(absl::StrCat(kDir, "/formats.golden"));
  ASSERT_GT(cases.size(), 15u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("line ", c.line));
    std::string actual;
    if (c.has("bytes")) actual = FormatBytes(std::stoull(c["bytes"]));
    if (c.has("nanos")) actual = FormatDuration(std::stoll(c["nanos"]));
    if (c.has("seconds")) actual = FormatAge(std::stoll(c["seconds"]));
    EXPECT_EQ(actual, c["want"]);
  }
}

TEST(Report, TextThatIsNotUtf8IsPrintedNotThrown) {
  FinalizeReport report;
  report.rows.push_back({"ns", "a", FinalizeResult::kFailed, "ctr: open /x\xff\xfe: no such file", 1, std::nullopt, "", "a"});
  EXPECT_TRUE(absl::StrContains(JsonText(FinalizeJson(report)), "ctr: open /x\xef\xbf\xbd\xef\xbf\xbd: no such file"));
}

TEST(Report, FinalizeExitCode) {
  FinalizeReport report;
  EXPECT_EQ(report.ExitCode(), 0);
  report.rows.push_back({"ns", "a", FinalizeResult::kSkipped, "not running (no task)", 0, std::nullopt, "", "a"});
  report.rows.push_back({"ns", "b", FinalizeResult::kCheckpointed, "", 1, 10, "/x", "b"});
  EXPECT_EQ(report.ExitCode(), 0);
  report.rows.push_back({"ns", "c", FinalizeResult::kFailed, "why", 1, std::nullopt, "", "c"});
  EXPECT_EQ(report.ExitCode(), 1);
}

}  // namespace
}  // namespace tardis::node
