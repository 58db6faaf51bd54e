// Golden, table-driven tests of the `ctr events` line parser, the /tasks/exit payload
// parser and the exit matcher: every captured line from containerd 1.6 and 1.7, then
// edge cases of lines and of payloads.
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/events/describe.h"
#include "tardis/events/event_line.h"
#include "tardis/events/exit_event.h"
#include "tardis/events/invariants.h"
#include "tardis/testing/golden.h"

namespace tardis::events {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestLines;

// Each capture in testdata/reference/ and its golden file in testdata/events/.
struct Reference {
  const char* log;
  const char* golden;
  int records;     // own processes' exits
  int exec_exits;  // exec'd processes' exits
};
constexpr Reference kReferences[] = {
    {"testdata/reference/ctr-events-containerd-1.6.20.log",
     "testdata/events/ctr-events-containerd-1.6.20.golden", 6, 1},
    {"testdata/reference/ctr-events-containerd-1.7.24.log",
     "testdata/events/ctr-events-containerd-1.7.24.golden", 2, 0},
};
constexpr char kLinesGolden[] = "testdata/events/lines.golden";
constexpr char kPayloadGolden[] = "testdata/events/exit_payload.golden";

// A golden input: C escapes undone, then `<pad>` widened so that the input is exactly
// `length:` bytes long.
std::string Input(const GoldenCase& c, const std::string& key) {
  std::string input;
  std::string error;
  EXPECT_TRUE(absl::CUnescape(c[key], &input, &error)) << "line " << c.line << ": " << error;
  if (c.has("length")) {
    size_t length = 0;
    EXPECT_TRUE(absl::SimpleAtoi(c["length"], &length)) << "line " << c.line;
    const size_t pad = input.find("<pad>");
    EXPECT_NE(pad, std::string::npos) << "line " << c.line << ": length without <pad>";
    if (pad == std::string::npos || input.size() - 5 > length) return input;
    input.replace(pad, 5, std::string(length - (input.size() - 5), 'x'));
  }
  return input;
}

// One golden case per captured line, in the capture's order: a line added to a capture
// without its case fails here, not silently.
TEST(ReferenceTest, GoldenHasOneCasePerCapturedLineInOrder) {
  for (const Reference& reference : kReferences) {
    const std::vector<std::string> lines = ReadTestLines(reference.log);
    const std::vector<GoldenCase> cases = ReadGoldenCases(reference.golden);
    ASSERT_FALSE(lines.empty()) << reference.log;
    ASSERT_EQ(cases.size(), lines.size()) << reference.golden << " vs " << reference.log;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(cases[i]["line"], lines[i]) << reference.golden << ":" << cases[i].line
                                            << " is not line " << i + 1 << " of " << reference.log;
    }
  }
}

TEST(ReferenceTest, EveryCapturedLineIsReadAsTheGoldenSays) {
  for (const Reference& reference : kReferences) {
    const std::vector<std::string> lines = ReadTestLines(reference.log);
    const std::vector<GoldenCase> cases = ReadGoldenCases(reference.golden);
    ASSERT_EQ(cases.size(), lines.size());
    int records = 0;
    int exec_exits = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string where = absl::StrCat(reference.golden, ":", cases[i].line);
      const absl::StatusOr<EventLine> event = ParseEventLine(lines[i]);
      EXPECT_TRUE(event.ok()) << where << ": " << event.status();
      EXPECT_EQ(Describe(event), cases[i]["event"]) << where;
      const absl::StatusOr<ExitLineMatch> match = MatchRecordableExit(lines[i]);
      EXPECT_TRUE(match.ok()) << where << ": " << match.status();
      EXPECT_EQ(Describe(match), cases[i]["exit"]) << where;
      if (match.ok()) {
        records += match->kind == ExitLineKind::kRecord;
        exec_exits += match->kind == ExitLineKind::kExecExit;
      }
      EXPECT_EQ(CheckInvariants(lines[i]), "") << where;
    }
    EXPECT_EQ(records, reference.records) << reference.log;
    EXPECT_EQ(exec_exits, reference.exec_exits) << reference.log;
  }
}

TEST(LinesTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(kLinesGolden);
  ASSERT_GT(cases.size(), 100u);
  for (const GoldenCase& c : cases) {
    const std::string where = absl::StrCat(kLinesGolden, ":", c.line);
    ASSERT_TRUE(c.has("line") && c.has("event") && c.has("exit")) << where;
    const std::string line = Input(c, "line");
    EXPECT_EQ(Describe(ParseEventLine(line)), c["event"]) << where;
    EXPECT_EQ(Describe(MatchRecordableExit(line)), c["exit"]) << where;
    EXPECT_EQ(CheckInvariants(line), "") << where;
  }
}

TEST(PayloadTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(kPayloadGolden);
  ASSERT_GT(cases.size(), 100u);
  for (const GoldenCase& c : cases) {
    const std::string where = absl::StrCat(kPayloadGolden, ":", c.line);
    ASSERT_TRUE(c.has("json") && c.has("want")) << where;
    const std::string json = Input(c, "json");
    EXPECT_EQ(Describe(ParseExitPayload(json)), c["want"]) << where;
    EXPECT_EQ(CheckInvariants(json), "") << where;
  }
}

TEST(PayloadTest, OwnProcessIsTheOneWithTheContainersId) {
  ExitEvent exit;
  exit.container_id = "n1";
  exit.id = "n1";
  EXPECT_TRUE(IsOwnProcessExit(exit));
  exit.id = "ex1";
  EXPECT_FALSE(IsOwnProcessExit(exit));
}

// nlohmann builds and frees a deeply nested document without recursing per level; a
// line of 1 MiB can nest half a million arrays.
TEST(PayloadTest, DeepNestingFitsOnTheStack) {
  const size_t depth = (kMaxEventLineBytes - 200) / 2;
  const std::string payload = absl::StrCat(R"({"container_id":"c1","id":"c1","x":)",
                                           std::string(depth, '['), std::string(depth, ']'), "}");
  EXPECT_EQ(Describe(ParseExitPayload(payload)),
            "container_id=c1 id=c1 pid=0 exit_status=0 exited_at=unknown");
  const std::string line =
      absl::StrCat("2026-11-29 02:52:56.5 +0000 UTC default /tasks/exit ", payload);
  ASSERT_LE(line.size(), kMaxEventLineBytes);
  EXPECT_EQ(Describe(MatchRecordableExit(line)),
            "RECORD ns=default container_id=c1 exit_status=0 pid=0 exited_at=unknown");
}

// The compiled patterns are shared by every thread of the listener.
TEST(EventLineTest, ThreadsShareThePatterns) {
  std::vector<std::string> lines = ReadTestLines(kReferences[0].log);
  std::vector<std::string> expected;
  for (const std::string& line : lines) expected.push_back(Describe(MatchRecordableExit(line)));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < lines.size(); ++i) {
          mismatches[t] += Describe(MatchRecordableExit(lines[i])) != expected[i];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace tardis::events
