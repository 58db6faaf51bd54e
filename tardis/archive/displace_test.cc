// Displacing an upperdir's contents and putting them back leaves it exactly as it was;
// dropping them leaves only what replaced them.
#include "tardis/archive/displace.h"

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/archive/test_files.h"
#include "tardis/archive/test_tree.h"

namespace tardis::archive {
namespace {

using testing::DiffTrees;
using testing::Snapshot;

class DisplaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/tardis-displace-test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    top_ = dir;
    upper_ = top_ + "/fs";
    ASSERT_TRUE(testing::MakeDir(upper_).ok());
    ASSERT_TRUE(testing::MakeDir(upper_ + "/etc").ok());
    ASSERT_TRUE(testing::WriteNewFile(upper_ + "/etc/greeting", "hello\n").ok());
    ASSERT_TRUE(testing::WriteNewFile(upper_ + "/count", "17\n").ok());
    ASSERT_EQ(::symlink("count", (upper_ + "/link").c_str()), 0);
    ASSERT_TRUE(testing::SetXattr(upper_ + "/etc", "user.tardis", "x").ok());
  }
  void TearDown() override { (void)RemoveTree(top_); }

  std::string top_;
  std::string upper_;
};

TEST_F(DisplaceTest, PutBackRestoresTheUpperdirExactly) {
  absl::StatusOr<testing::Tree> before = Snapshot(upper_);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(UpperdirHasEntries(upper_));
  absl::StatusOr<std::string> displaced = DisplaceEntries(upper_);
  ASSERT_TRUE(displaced.ok()) << displaced.status();
  EXPECT_FALSE(UpperdirHasEntries(upper_));
  EXPECT_EQ(displaced->substr(0, top_.size() + 1), top_ + "/");
  ASSERT_TRUE(PutBackDisplaced(*displaced, upper_).ok());
  absl::StatusOr<testing::Tree> after = Snapshot(upper_);
  ASSERT_TRUE(after.ok());
  testing::Compare compare;
  compare.mtime = false;  // the top directory's own mtime moves with its entries
  EXPECT_EQ(DiffTrees(*before, *after, compare), std::vector<std::string>{});
  EXPECT_NE(::access(displaced->c_str(), F_OK), 0);
}

TEST_F(DisplaceTest, DropLeavesOnlyTheNewEntries) {
  absl::StatusOr<std::string> displaced = DisplaceEntries(upper_);
  ASSERT_TRUE(displaced.ok());
  ASSERT_TRUE(testing::WriteNewFile(upper_ + "/count", "18\n").ok());
  ASSERT_TRUE(DropDisplaced(*displaced).ok());
  EXPECT_NE(::access(displaced->c_str(), F_OK), 0);
  absl::StatusOr<std::string> count = testing::ReadWholeFile(upper_ + "/count");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, "18\n");
  EXPECT_NE(::access((upper_ + "/etc").c_str(), F_OK), 0);
}

TEST_F(DisplaceTest, PutBackRefusesToReplaceWhatIsInTheWayAndLosesNothing) {
  absl::StatusOr<std::string> displaced = DisplaceEntries(upper_);
  ASSERT_TRUE(displaced.ok());
  ASSERT_TRUE(testing::WriteNewFile(upper_ + "/count", "unpacked\n").ok());  // a rollback missed it
  EXPECT_FALSE(PutBackDisplaced(*displaced, upper_).ok());
  absl::StatusOr<std::string> kept = testing::ReadWholeFile(*displaced + "/count");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, "17\n");
}

TEST_F(DisplaceTest, AnEmptyUpperdirHasNoEntries) {
  ASSERT_TRUE(testing::MakeDir(top_ + "/empty").ok());
  EXPECT_FALSE(UpperdirHasEntries(top_ + "/empty"));
  EXPECT_TRUE(UpperdirHasEntries(top_ + "/missing"));
}

}  // namespace
}  // namespace tardis::archive
