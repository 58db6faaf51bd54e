// PeriodicCheckpointer with a scripted ctr: a container with an interval is checkpointed
// through ctr once due, and never while a final checkpoint holds its periodic lock
// (state_store.h, LockAgainstPeriodic): that round is skipped, the next one taken.
#include "tardis/node/periodic_checkpointer.h"

#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/archive/test_mounts.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"

namespace tardis::node {
namespace {

TEST(PeriodicCheckpointerTest, ARoundIsSkippedWhileAFinalCheckpointHoldsTheLock) {
  archive::testing::ScopedTempDir dir;
  HostConfig config;
  config.state_dir = absl::StrCat(dir.path(), "/state");
  config.real_runc = "/bin/false";
  config.log_file = absl::StrCat(dir.path(), "/tardis.log");
  config.checkpoint_interval_min_ms = 1000;
  ContainerState state = StateStore(config.state_dir).For("default", "c1");
  ContainerRecord record{absl::StrCat(dir.path(), "/ckpt/default/job1"), "", "/b", NowUnixNanos(), "job1", "/b/rootfs"};
  record.checkpoint_interval_ms = 1000;
  ASSERT_TRUE(state.Record(record).ok());

  absl::StatusOr<int> final_checkpoint = state.LockAgainstPeriodic(0);
  ASSERT_TRUE(final_checkpoint.ok()) << final_checkpoint.status();
  std::atomic<int> calls{0};
  Logger log("test", config.log_file, LogLevel::kDebug);
  {
    PeriodicCheckpointer checkpointer(config, log, [&](const std::string& ns, const std::vector<std::string>& args) {
      EXPECT_EQ(ns, "default");
      EXPECT_EQ(args.back(), "c1");
      ++calls;
      return CommandResult{true, 0, "", "", ""};
    });
    ::usleep(2500000);  // due after 1.0-1.1 s: at least one round comes and is skipped
    EXPECT_EQ(calls.load(), 0);
    ::close(*final_checkpoint);
    for (int i = 0; i < 300 && calls.load() == 0; ++i) ::usleep(10000);
    EXPECT_GE(calls.load(), 1) << "the next round, once the lock is free";
  }
  absl::StatusOr<std::string> text = ReadSmallFile(config.log_file, 1 << 20);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(absl::StrContains(*text, "default/c1: periodic checkpoint skipped: a final checkpoint of the "
                                       "container is at work"))
      << *text;
}

}  // namespace
}  // namespace tardis::node
