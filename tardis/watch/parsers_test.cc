// Every parser of a metadata service's answer, and of acted.json, against the golden
// table testdata/watch/answers.golden (real bodies in testdata/watch/corpus/).
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <gtest/gtest.h>

#include "tardis/testing/golden.h"
#include "tardis/watch/acted.h"
#include "tardis/watch/aws.h"
#include "tardis/watch/azure.h"
#include "tardis/watch/gcp.h"
#include "tardis/watch/notice.h"
#include "tardis/watch/timestamps.h"

namespace tardis::watch {
namespace {

// The fixture's escapes: \n, \r, \t and \xNN.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[i + 1];
      if (next == 'n' || next == 'r' || next == 't') {
        out += next == 'n' ? '\n' : next == 'r' ? '\r' : '\t';
        ++i;
        continue;
      }
      if (next == 'x' && i + 3 < text.size()) {
        out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

int64_t Moment(const std::string& text) {
  absl::StatusOr<int64_t> nanos = ParseRfc3339(text);
  EXPECT_TRUE(nanos.ok()) << text;
  return nanos.value_or(0);
}

std::string DescribeForTable(const Notice& n) {
  return absl::StrCat("notice cloud=", CloudName(n.cloud), " kind=", n.kind, " action=", n.action, " key=", n.key,
                      " dated=", FormatRfc3339(n.dated_unix_nanos), " deadline=", FormatRfc3339(n.deadline_unix_nanos),
                      n.event_id.empty() ? "" : absl::StrCat(" event=", n.event_id));
}

template <typename T>
std::string Error(const absl::StatusOr<T>& result) {
  return absl::StrCat("error: ", result.status().message());
}

std::string ParseForTable(const testing::GoldenCase& c, const std::string& body) {
  const std::string& parser = c["parser"];
  if (parser == "aws-instance-action") {
    absl::StatusOr<AwsInstanceAction> action = ParseAwsInstanceAction(body);
    return action.ok() ? DescribeForTable(AwsSpotNotice(*action)) : Error(action);
  }
  if (parser == "aws-rebalance") {
    absl::StatusOr<int64_t> time = ParseAwsRebalance(body);
    return time.ok() ? DescribeForTable(AwsRebalanceNotice(*time, Moment(c["seen"]), 120LL * 1000000000)) : Error(time);
  }
  if (parser == "aws-token") {
    absl::StatusOr<std::string> token = ParseAwsToken(body);
    return token.ok() ? absl::StrCat("token of ", token->size(), " bytes") : Error(token);
  }
  if (parser == "gcp-preempted") {
    std::optional<absl::string_view> flavor;
    if (c.has("flavor")) flavor = c["flavor"];
    absl::StatusOr<bool> preempted = ParseGcpPreempted(flavor, body);
    if (!preempted.ok()) return Error(preempted);
    return *preempted ? DescribeForTable(GcpNotice(Moment("2026-12-03T17:00:00Z"), "boot-1")) : "not preempted";
  }
  if (parser == "azure-events") {
    absl::StatusOr<AzureDocument> document = ParseAzureScheduledEvents(body);
    if (!document.ok()) return Error(document);
    const std::string head = absl::StrCat("incarnation=", document->incarnation, " events=", document->events.size());
    const std::optional<AzureEvent> preempt = FindPreemption(*document, c["vm"]);
    if (!preempt) return absl::StrCat(head, "; no notice for ", c["vm"]);
    return absl::StrCat(head, "; ", DescribeForTable(AzureNotice(*preempt, Moment(c["seen"]))));
  }
  if (parser == "azure-start-request") return AzureStartRequest(body);
  if (parser == "azure-vm-name") {
    absl::StatusOr<std::string> name = ParseAzureVmName(body);
    return name.ok() ? absl::StrCat("name=", *name) : Error(name);
  }
  if (parser == "rfc1123" || parser == "rfc3339") {
    absl::StatusOr<int64_t> nanos = parser == "rfc1123" ? ParseRfc1123(body) : ParseRfc3339(body);
    return nanos.ok() ? absl::StrCat(*nanos, " = ", FormatRfc3339(*nanos)) : Error(nanos);
  }
  if (parser == "notice-age") {
    Notice notice;
    notice.dated_unix_nanos = Moment(c["dated"]);
    const absl::Status age = CheckNoticeAge(notice, Moment(c["now"]));
    return age.ok() ? "may be acted on" : absl::StrCat("error: ", age.message());
  }
  if (parser == "acted") {
    absl::StatusOr<std::vector<ActedEntry>> entries = ParseActed(body);
    if (!entries.ok()) return Error(entries);
    std::vector<std::string> described;
    for (const ActedEntry& e : *entries) {
      described.push_back(absl::StrCat(e.key, " ", e.cloud, " ", e.kind, " deadline=", e.deadline_unix_nanos,
                                       " started=", e.started_unix_nanos, " finished=",
                                       e.finished_unix_nanos ? absl::StrCat(*e.finished_unix_nanos) : "-",
                                       e.finished_unix_nanos ? absl::StrCat(" ", e.checkpointed, "/", e.failed, "/", e.skipped) : ""));
      // What is read is what is written.
      EXPECT_EQ(ParseActed(SerializeActed({e})).value_or(std::vector<ActedEntry>{}), std::vector<ActedEntry>{e});
    }
    return absl::StrCat("entries: ", absl::StrJoin(described, " | "));
  }
  ADD_FAILURE() << "unknown parser " << parser;
  return "";
}

TEST(MetadataAnswers, GoldenTable) {
  const auto cases = testing::ReadGoldenCases("testdata/watch/answers.golden");
  ASSERT_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    const std::string body =
        c.has("file") ? testing::ReadTestFile(absl::StrCat("testdata/watch/", c["file"])) : Unescape(c["body"]);
    EXPECT_EQ(ParseForTable(c, body), c["want"]) << "answers.golden:" << c.line;
  }
}

TEST(Acted, KeepsTheNewestEntriesOnceEach) {
  std::vector<ActedEntry> entries;
  for (int i = 0; i < 70; ++i) entries = WithActed(entries, {absl::StrCat("k", i), "aws", "spot-interruption", i, i, std::nullopt, 0, 0, 0});
  ASSERT_EQ(entries.size(), kMaxActedEntries);
  EXPECT_EQ(entries.front().key, "k6");
  EXPECT_EQ(entries.back().key, "k69");
  ActedEntry finished = entries[10];
  finished.finished_unix_nanos = 99;
  entries = WithActed(entries, finished);
  EXPECT_EQ(entries.size(), kMaxActedEntries);
  EXPECT_EQ(entries.back(), finished);
  EXPECT_NE(FindActed(entries, "k16"), nullptr);
  EXPECT_EQ(FindActed(entries, "k5"), nullptr);
}

}  // namespace
}  // namespace tardis::watch
