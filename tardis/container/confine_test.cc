// ConfineToAllowedRoots() against real directories and symlinks under the test's
// temporary directory.
#include "tardis/container/confine.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

namespace tardis::container {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

class ConfineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::umask(022);
    char* real = ::realpath(::testing::TempDir().c_str(), nullptr);
    ASSERT_NE(real, nullptr);
    base_ = absl::StrCat(real, "/confine-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::free(real);
    allowed_ = base_ + "/allowed";
    outside_ = base_ + "/outside";
    ASSERT_EQ(::mkdir(base_.c_str(), 0755), 0) << base_;
    ASSERT_EQ(::mkdir(allowed_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside_.c_str(), 0755), 0);
  }

  void MakeDir(const std::string& path) { ASSERT_EQ(::mkdir(path.c_str(), 0755), 0) << path; }
  void Symlink(const std::string& target, const std::string& path) {
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0) << path;
  }

  absl::StatusOr<std::string> Confine(const std::string& candidate, bool create = false) {
    return ConfineToAllowedRoots(candidate, {allowed_}, create);
  }

  std::string base_;
  std::string allowed_;
  std::string outside_;
};

TEST_F(ConfineTest, ExistingDirectoryInsideIsItsRealPath) {
  MakeDir(allowed_ + "/default");
  MakeDir(allowed_ + "/default/c1");
  EXPECT_EQ(*Confine(allowed_ + "/default/c1"), allowed_ + "/default/c1");
  EXPECT_EQ(*Confine(allowed_ + "//default/./c1/"), allowed_ + "/default/c1");
}

TEST_F(ConfineTest, MissingDirectoryIsNotFoundAndNotCreated) {
  const absl::StatusOr<std::string> result = Confine(allowed_ + "/default/c1");
  EXPECT_TRUE(absl::IsNotFound(result.status())) << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "does not exist"));
  EXPECT_FALSE(Exists(allowed_ + "/default"));
}

TEST_F(ConfineTest, OutsideEveryRootIsRefused) {
  MakeDir(outside_ + "/c1");
  for (bool create : {false, true}) {
    const absl::StatusOr<std::string> result = Confine(outside_ + "/c1", create);
    EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), "not below any existing allowed root"))
        << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), outside_ + "/c1"));
  }
  EXPECT_FALSE(Confine("/etc").ok());
}

TEST_F(ConfineTest, APrefixOfTheRootNameIsNotInsideIt) {
  const std::string evil = base_ + "/allowed-evil";
  MakeDir(evil);
  MakeDir(evil + "/c1");
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(evil + "/c1").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(evil + "/c2", true).status()));
  EXPECT_FALSE(Exists(evil + "/c2"));
}

TEST_F(ConfineTest, DotDotIsRefusedLexically) {
  MakeDir(allowed_ + "/a");
  for (const std::string& candidate : {allowed_ + "/../outside", allowed_ + "/a/../../outside",
                                       allowed_ + "/a/..", allowed_ + "/.."}) {
    const absl::StatusOr<std::string> result = Confine(candidate, true);
    EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << candidate << ": " << result.status();
  }
  EXPECT_TRUE(absl::IsInvalidArgument(Confine("relative/path").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Confine("").status()));
}

TEST_F(ConfineTest, AbsoluteSymlinkOutIsRefused) {
  Symlink(outside_, allowed_ + "/abs");
  for (bool create : {false, true}) {
    const absl::StatusOr<std::string> result = Confine(allowed_ + "/abs/c1", create);
    EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), "leads outside the root"))
        << result.status();
  }
  EXPECT_FALSE(Exists(outside_ + "/c1"));
  // The final component too.
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/abs").status()));
}

TEST_F(ConfineTest, RelativeSymlinkOutIsRefused) {
  MakeDir(allowed_ + "/default");
  Symlink("../../outside", allowed_ + "/default/c1");
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/default/c1").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/default/c1/x", true).status()));
  EXPECT_FALSE(Exists(outside_ + "/x"));
}

TEST_F(ConfineTest, SymlinkThatLeavesAndComesBackIsRefused) {
  MakeDir(allowed_ + "/real");
  Symlink("../allowed/real", allowed_ + "/roundtrip");
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/roundtrip").status()));
}

TEST_F(ConfineTest, RelativeSymlinkStayingInsideIsFollowed) {
  MakeDir(allowed_ + "/real");
  MakeDir(allowed_ + "/real/c1");
  MakeDir(allowed_ + "/default");
  Symlink("../real", allowed_ + "/default/link");
  EXPECT_EQ(*Confine(allowed_ + "/default/link/c1"), allowed_ + "/real/c1");
  EXPECT_EQ(*Confine(allowed_ + "/default/link/c2/d", true), allowed_ + "/real/c2/d");
  EXPECT_TRUE(IsDirectory(allowed_ + "/real/c2/d"));
}

// RESOLVE_BENEATH refuses every absolute symlink, even one naming a place inside.
TEST_F(ConfineTest, AbsoluteSymlinkPointingInsideIsRefusedToo) {
  MakeDir(allowed_ + "/real");
  Symlink(allowed_ + "/real", allowed_ + "/abs-inside");
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/abs-inside").status()));
}

TEST_F(ConfineTest, MagicLinkIsRefused) {
  Symlink("/proc/self/root", allowed_ + "/magic");
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/magic/etc").status()));
}

TEST_F(ConfineTest, AFileWhereADirectoryIsExpectedIsRefused) {
  std::ofstream(allowed_ + "/file") << "x";
  const absl::StatusOr<std::string> result = Confine(allowed_ + "/file");
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "is not a directory"));
  EXPECT_TRUE(absl::IsFailedPrecondition(Confine(allowed_ + "/file/c1", true).status()));
  EXPECT_FALSE(Confine(allowed_ + "/file", true).ok());
}

TEST_F(ConfineTest, CreatesNestedDirectories) {
  const absl::StatusOr<std::string> result = Confine(allowed_ + "/default/c1/image", true);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, allowed_ + "/default/c1/image");
  for (const std::string& dir :
       {allowed_ + "/default", allowed_ + "/default/c1", allowed_ + "/default/c1/image"}) {
    struct stat st;
    ASSERT_EQ(::lstat(dir.c_str(), &st), 0) << dir;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << dir;
    EXPECT_EQ(st.st_mode & 07777, 0755u) << dir;
  }
  // Again: everything exists now.
  EXPECT_EQ(*Confine(allowed_ + "/default/c1/image", true), allowed_ + "/default/c1/image");
}

TEST_F(ConfineTest, CreationStopsAtAnEscapingSymlink) {
  MakeDir(allowed_ + "/default");
  Symlink(outside_, allowed_ + "/default/esc");
  Symlink("../../outside/planted", allowed_ + "/default/dangling");
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/default/esc/c1/img", true).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/default/dangling", true).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Confine(allowed_ + "/default/dangling/x", true).status()));
  EXPECT_FALSE(Exists(outside_ + "/c1"));
  EXPECT_FALSE(Exists(outside_ + "/planted"));
}

TEST_F(ConfineTest, NeverCreatesThroughADanglingSymlinkInside) {
  Symlink("missing-target", allowed_ + "/dangling");
  const absl::StatusOr<std::string> result = Confine(allowed_ + "/dangling/c1", true);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(Exists(allowed_ + "/missing-target"));
}

TEST_F(ConfineTest, SeveralRoots) {
  const std::string second = base_ + "/second";
  MakeDir(second);
  const std::vector<std::string> roots = {base_ + "/missing", "relative/root", allowed_, second};
  EXPECT_EQ(*ConfineToAllowedRoots(second + "/ns/c1", roots, true), second + "/ns/c1");
  EXPECT_EQ(*ConfineToAllowedRoots(allowed_ + "/ns/c1", roots, true), allowed_ + "/ns/c1");
  EXPECT_TRUE(
      absl::IsPermissionDenied(ConfineToAllowedRoots(outside_ + "/c1", roots, true).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(ConfineToAllowedRoots(allowed_ + "/x", {}, true).status()));
}

TEST_F(ConfineTest, AMissingRootMatchesNothing) {
  const std::string missing = base_ + "/missing";
  const absl::StatusOr<std::string> result =
      ConfineToAllowedRoots(missing + "/c1", {missing}, true);
  EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << result.status();
  EXPECT_FALSE(Exists(missing));
}

TEST_F(ConfineTest, TheRootItselfIsRefused) {
  for (const std::string& candidate : {allowed_, allowed_ + "/", allowed_ + "/."}) {
    const absl::StatusOr<std::string> result = Confine(candidate, true);
    EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << candidate;
    EXPECT_TRUE(absl::StrContains(result.status().message(), "is an allowed root itself"))
        << result.status();
  }
  Symlink(".", allowed_ + "/self");
  const absl::StatusOr<std::string> via_link = Confine(allowed_ + "/self", true);
  EXPECT_TRUE(absl::IsPermissionDenied(via_link.status())) << via_link.status();
  EXPECT_TRUE(absl::StrContains(via_link.status().message(), "not below"));
}

TEST_F(ConfineTest, ARootReachedThroughASymlinkIsTrusted) {
  const std::string link = base_ + "/root-link";
  Symlink(allowed_, link);
  EXPECT_EQ(*ConfineToAllowedRoots(link + "/ns/c1", {link}, true), allowed_ + "/ns/c1");
  EXPECT_EQ(*ConfineToAllowedRoots(allowed_ + "/ns/c1", {link + "/"}, false), allowed_ + "/ns/c1");
}

TEST_F(ConfineTest, AWiderRootAcceptsWhatANarrowerOneRefuses) {
  MakeDir(allowed_ + "/inner");
  MakeDir(allowed_ + "/sibling");
  Symlink("../sibling", allowed_ + "/inner/link");
  EXPECT_FALSE(ConfineToAllowedRoots(allowed_ + "/inner/link", {allowed_ + "/inner"}, false).ok());
  EXPECT_EQ(
      *ConfineToAllowedRoots(allowed_ + "/inner/link", {allowed_ + "/inner", allowed_}, false),
      allowed_ + "/sibling");
  // Below a root that is itself below another: a root only when it is not the candidate.
  EXPECT_EQ(*ConfineToAllowedRoots(allowed_ + "/inner", {allowed_ + "/inner", allowed_}, false),
            allowed_ + "/inner");
}

}  // namespace
}  // namespace tardis::container
