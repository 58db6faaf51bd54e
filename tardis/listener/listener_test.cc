#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/events/exit_event.h"
#include "tardis/listener/backoff.h"
#include "tardis/listener/exit_recorder.h"
#include "tardis/listener/line_reader.h"
#include "tardis/listener/listen_loop.h"

namespace tardis {
namespace {

TEST(BackoffTest, DoublesToACapAndResetsAfterAHealthyRun) {
  const std::pair<std::pair<int64_t, int64_t>, int64_t> cases[] = {
      {{0, 0}, 100},        {{100, 5}, 200},      {{200, 5}, 400},     {{3200, 5}, 5000},
      {{5000, 5}, 5000},    {{5000, 9999}, 5000}, {{5000, 10000}, 100}, {{400, 60000}, 100},
  };
  for (const auto& [input, want] : cases) {
    EXPECT_EQ(NextRestartDelayMs(input.first, input.second), want) << input.first << " " << input.second;
  }
}

TEST(LineReaderTest, SplitsAcrossChunksAndSkipsOversizedLines) {
  LineReader reader(10);
  std::vector<std::string> lines;
  const auto collect = [&](absl::string_view line, bool oversized) {
    lines.push_back(oversized ? "<oversized>" : std::string(line));
  };
  reader.Feed("one\ntw", collect);
  reader.Feed("o\n", collect);
  reader.Feed("0123456789\n", collect);             // exactly the limit
  reader.Feed("0123456789A", collect);              // over it, across chunks...
  reader.Feed("BCDEF\nafter\n\nno newline yet", collect);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "0123456789", "<oversized>", "after", ""}));
}

TEST(CtrEventsArgsTest, AddressOnlyWhenConfigured) {
  HostConfig config;
  EXPECT_EQ(CtrEventsArgs(config), std::vector<std::string>{"events"});
  config.containerd_address = "/tmp/c.sock";
  EXPECT_EQ(CtrEventsArgs(config), (std::vector<std::string>{"--address", "/tmp/c.sock", "events"}));
}

class ExitRecorderTest : public ::testing::Test {
 protected:
  events::ExitLineMatch Exit(const std::string& ns, const std::string& id, uint32_t status, int64_t at) {
    events::ExitLineMatch match;
    match.kind = events::ExitLineKind::kRecord;
    match.ns = ns;
    match.topic = "/tasks/exit";
    match.event_unix_nanos = at;
    match.exit.container_id = id;
    match.exit.id = id;
    match.exit.exit_status = status;
    return match;
  }
  StateStore store_{absl::StrCat(::testing::TempDir(), "/recorder-", ::getpid(), "-",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name())};
};

TEST_F(ExitRecorderTest, RecordsOnlyOptedInContainersAndNotStaleEvents) {
  ASSERT_TRUE(store_.For("default", "in").Record({"/img", "", "/b", 1000}).ok());

  EXPECT_EQ(RecordExit(store_, Exit("default", "out", 0, 2000)).what, ExitRecorded::kNotOptedIn);
  EXPECT_EQ(RecordExit(store_, Exit("other", "in", 0, 2000)).what, ExitRecorded::kNotOptedIn);
  EXPECT_FALSE(store_.For("default", "out").Recorded()) << "the listener must never create state";

  EXPECT_EQ(RecordExit(store_, Exit("default", "in", 7, 999)).what, ExitRecorded::kStale);
  EXPECT_FALSE(store_.For("default", "in").Exit());

  EXPECT_EQ(RecordExit(store_, Exit("default", "in", 137, 2000)).what, ExitRecorded::kRecorded);
  ASSERT_TRUE(store_.For("default", "in").Exit());
  EXPECT_EQ(store_.For("default", "in").Exit()->exit_status, 137);
  EXPECT_EQ(store_.For("default", "in").Exit()->event_unix_nanos, 2000);

  EXPECT_EQ(RecordExit(store_, Exit("default", "in/../../x", 0, 3000)).what, ExitRecorded::kNotOptedIn);
}

TEST_F(ExitRecorderTest, AnExitAfterDeleteDoesNotResurrectTheContainer) {
  ASSERT_TRUE(store_.For("default", "c").Record({"/img", "", "/b", 1}).ok());
  ASSERT_TRUE(store_.For("default", "c").Forget().ok());
  EXPECT_EQ(RecordExit(store_, Exit("default", "c", 0, 5)).what, ExitRecorded::kNotOptedIn);
  EXPECT_FALSE(store_.For("default", "c").Recorded());
}

}  // namespace
}  // namespace tardis
