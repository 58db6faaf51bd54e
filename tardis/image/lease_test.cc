// DecideClaim() over a golden table of lease texts, and the lease file's moves (claim,
// take-over, refresh, release) on a real directory.
#include "tardis/image/lease_store.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/testing/golden.h"

namespace tardis {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;

constexpr int64_t kSecond = 1'000'000'000;

LeaseHolder HolderFrom(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  EXPECT_EQ(parts.size(), 3u) << text;
  return {parts.at(0), parts.at(1), parts.at(2)};
}

std::string Describe(const ClaimDecision& decision) {
  switch (decision.verdict) {
    case ClaimVerdict::kTake: return "take: " + decision.why;
    case ClaimVerdict::kOurs: return "ours: " + decision.why;
    case ClaimVerdict::kTakeOver: return "take-over: " + decision.why;
    case ClaimVerdict::kHeldByOther: return "held: " + decision.why;
  }
  return "?";
}

TEST(DecideClaimTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/image/lease.golden");
  ASSERT_GE(cases.size(), 14u);
  for (const GoldenCase& c : cases) {
    for (const auto& [key, value] : c.all()) {
      EXPECT_TRUE(key == "lease" || key == "me" || key == "now" || key == "stale" || key == "want")
          << "lease.golden:" << c.line << ": unknown key " << key;
    }
    std::optional<absl::StatusOr<Lease>> existing;
    if (c["lease"] != "none") existing = ParseLease(c["lease"]);
    int64_t now = 0, stale = 30;
    ASSERT_TRUE(absl::SimpleAtoi(c["now"], &now)) << "lease.golden:" << c.line;
    if (c.has("stale")) {
      ASSERT_TRUE(absl::SimpleAtoi(c["stale"], &stale)) << "lease.golden:" << c.line;
    }
    EXPECT_EQ(Describe(DecideClaim(existing, HolderFrom(c["me"]), now * kSecond, stale * kSecond)), c["want"])
        << "lease.golden:" << c.line;
  }
}

class LeaseFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/tardis-lease-test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/.job1.lease";
  }
  void TearDown() override { (void)RemoveTree(dir_); }

  // Every file in the directory: nothing but the lease may be left.
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    DIR* dir = ::opendir(dir_.c_str());
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }

  std::string dir_;
  std::string path_;
  const LeaseHolder a_{"node-a", "default", "c1"};
  const LeaseHolder b_{"node-b", "default", "c2"};
  const int64_t stale_ = 30 * kSecond;
};

TEST_F(LeaseFileTest, OneHolderAtATimeUntilReleasedOrStale) {
  absl::StatusOr<ClaimDecision> claimed = ClaimLease(path_, a_, 100 * kSecond, stale_);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->verdict, ClaimVerdict::kTake);
  EXPECT_TRUE(CheckLeaseHeld(path_, a_).ok());

  claimed = ClaimLease(path_, b_, 110 * kSecond, stale_);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->verdict, ClaimVerdict::kHeldByOther);
  EXPECT_FALSE(CheckLeaseHeld(path_, b_).ok());

  // A's node refreshes; B, later, still finds it held.
  EXPECT_TRUE(RefreshLease(path_, a_, 130 * kSecond).ok());
  claimed = ClaimLease(path_, b_, 150 * kSecond, stale_);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->verdict, ClaimVerdict::kHeldByOther);

  // A's node stops refreshing: B takes over once the lease is stale, and A has lost it.
  claimed = ClaimLease(path_, b_, 161 * kSecond, stale_);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->verdict, ClaimVerdict::kTakeOver);
  EXPECT_TRUE(CheckLeaseHeld(path_, b_).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(RefreshLease(path_, a_, 162 * kSecond)));
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckLeaseHeld(path_, a_)));

  // A releasing what it no longer holds changes nothing; B's release frees it.
  ReleaseLease(path_, a_);
  EXPECT_TRUE(CheckLeaseHeld(path_, b_).ok());
  ReleaseLease(path_, b_);
  EXPECT_TRUE(Files().empty());
  claimed = ClaimLease(path_, a_, 170 * kSecond, stale_);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->verdict, ClaimVerdict::kTake);
  EXPECT_EQ(Files(), std::vector<std::string>{".job1.lease"});
}

TEST_F(LeaseFileTest, ClaimingAgainIsARefresh) {
  ASSERT_TRUE(ClaimLease(path_, a_, 100 * kSecond, stale_).ok());
  absl::StatusOr<ClaimDecision> again = ClaimLease(path_, a_, 200 * kSecond, stale_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verdict, ClaimVerdict::kOurs);
  // Refreshed: B, 20 s later, finds it fresh.
  absl::StatusOr<ClaimDecision> other = ClaimLease(path_, b_, 220 * kSecond, stale_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->verdict, ClaimVerdict::kHeldByOther);
}

TEST_F(LeaseFileTest, GarbageAndSymlinksAreTakenOverNotFollowed) {
  ASSERT_EQ(::symlink("/etc/hostname", path_.c_str()), 0);
  absl::StatusOr<ClaimDecision> claimed = ClaimLease(path_, a_, 100 * kSecond, stale_);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->verdict, ClaimVerdict::kTakeOver);
  EXPECT_TRUE(CheckLeaseHeld(path_, a_).ok());
  EXPECT_EQ(Files(), std::vector<std::string>{".job1.lease"});
}

TEST_F(LeaseFileTest, ARefreshOfAVanishedLeaseTakesItBack) {
  EXPECT_TRUE(RefreshLease(path_, a_, 100 * kSecond).ok());
  EXPECT_TRUE(CheckLeaseHeld(path_, a_).ok());
}

}  // namespace
}  // namespace tardis
