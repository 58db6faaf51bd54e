// RemoveTree(): removes what is below the path and nothing else: never through a
// symlink, never into another mount, at any depth.
#include "tardis/sys/remove_tree.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/archive/test_tree.h"

namespace tardis::archive {
namespace {

using testing::DiffTrees;
using testing::MakeDir;
using testing::ScopedMount;
using testing::ScopedTempDir;
using testing::Snapshot;
using testing::Sys;
using testing::Tree;
using testing::WriteNewFile;

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

int OpenDescriptors() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (dir != nullptr && ::readdir(dir) != nullptr) ++n;
  if (dir != nullptr) ::closedir(dir);
  return n;
}

// Outside the tree: what symlinks in the tree point at. Must survive every removal.
class RemoveTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    ASSERT_TRUE(MakeDir(outside_).ok());
    ASSERT_TRUE(WriteNewFile(outside_ + "/precious", "keep me").ok());
    ASSERT_TRUE(MakeDir(outside_ + "/dir").ok());
    ASSERT_TRUE(WriteNewFile(outside_ + "/dir/also", "keep me too").ok());
    absl::StatusOr<Tree> before = Snapshot(outside_);
    ASSERT_TRUE(before.ok()) << before.status();
    outside_before_ = *before;
  }

  void ExpectOutsideUntouched() {
    absl::StatusOr<Tree> after = Snapshot(outside_);
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_TRUE(DiffTrees(outside_before_, *after).empty());
  }

  ScopedTempDir tmp_;
  const std::string outside_ = tmp_ / "outside";
  const std::string tree_ = tmp_ / "tree";
  Tree outside_before_;
};

TEST_F(RemoveTreeTest, MissingIsSuccess) {
  EXPECT_TRUE(RemoveTree(tmp_ / "nothing").ok());
  EXPECT_TRUE(RemoveTree(tmp_ / "no/such/parent").ok());
  EXPECT_TRUE(tardis::RemoveTree(tmp_ / "nothing").ok());  // reachable from namespace tardis
}

TEST_F(RemoveTreeTest, RefusesNamesThatAreNotAnEntry) {
  for (const std::string& path : {std::string(""), std::string("/"), std::string("."), std::string(".."),
                                  tmp_ / ".", tmp_ / "..", tmp_ / "tree/.."}) {
    EXPECT_TRUE(absl::IsInvalidArgument(RemoveTree(path))) << path;
  }
  EXPECT_TRUE(Exists(tmp_.path()));
}

TEST_F(RemoveTreeTest, RemovesEveryKindOfEntry) {
  ASSERT_TRUE(MakeDir(tree_).ok());
  ASSERT_TRUE(WriteNewFile(tree_ + "/file", "x").ok());
  ASSERT_TRUE(Sys(::link((tree_ + "/file").c_str(), (tree_ + "/hardlink").c_str()), "link").ok());
  ASSERT_TRUE(Sys(::mkfifo((tree_ + "/fifo").c_str(), 0600), "mkfifo").ok());
  ASSERT_TRUE(Sys(::mknod((tree_ + "/whiteout").c_str(), S_IFCHR | 0, 0), "mknod").ok());
  ASSERT_TRUE(MakeDir(tree_ + "/empty").ok());
  ASSERT_TRUE(MakeDir(tree_ + "/locked").ok());
  ASSERT_TRUE(WriteNewFile(tree_ + "/locked/inside", "x", 0).ok());
  ASSERT_TRUE(Sys(::chmod((tree_ + "/locked").c_str(), 0), "chmod").ok());  // root removes it anyway
  ASSERT_TRUE(MakeDir(tree_ + "/with space\nand newline").ok());
  ASSERT_TRUE(WriteNewFile(tree_ + "/with space\nand newline/\xff", "x").ok());
  TARDIS_ASSERT_OK(testing::MakeSocketFile(tree_, "socket"));
  ASSERT_TRUE(Exists(tree_ + "/socket"));
  EXPECT_TRUE(RemoveTree(tree_).ok());
  EXPECT_FALSE(Exists(tree_));
  EXPECT_TRUE(Exists(tmp_.path()));
}

TEST_F(RemoveTreeTest, SingleFileAndTrailingSlash) {
  ASSERT_TRUE(WriteNewFile(tmp_ / "file", "x").ok());
  EXPECT_TRUE(RemoveTree(tmp_ / "file").ok());
  EXPECT_FALSE(Exists(tmp_ / "file"));
  ASSERT_TRUE(MakeDir(tree_).ok());
  ASSERT_TRUE(WriteNewFile(tree_ + "/f", "x").ok());
  EXPECT_TRUE(RemoveTree(tree_ + "//").ok());
  EXPECT_FALSE(Exists(tree_));
}

// Symlinks in the tree, to the outside or to its parent, are removed, never followed.
TEST_F(RemoveTreeTest, SymlinksToOutsideAreRemovedNotFollowed) {
  ASSERT_TRUE(MakeDir(tree_).ok());
  ASSERT_TRUE(MakeDir(tree_ + "/sub").ok());
  ASSERT_TRUE(Sys(::symlink(outside_.c_str(), (tree_ + "/to_outside").c_str()), "symlink").ok());
  ASSERT_TRUE(Sys(::symlink("../../outside", (tree_ + "/sub/relative").c_str()), "symlink").ok());
  ASSERT_TRUE(Sys(::symlink((outside_ + "/precious").c_str(), (tree_ + "/sub/file_link").c_str()), "symlink").ok());
  ASSERT_TRUE(Sys(::symlink("..", (tree_ + "/sub/up").c_str()), "symlink").ok());
  ASSERT_TRUE(Sys(::symlink("/", (tree_ + "/root").c_str()), "symlink").ok());
  EXPECT_TRUE(RemoveTree(tree_).ok());
  EXPECT_FALSE(Exists(tree_));
  ExpectOutsideUntouched();
}

// The path itself a symlink: only the link goes.
TEST_F(RemoveTreeTest, PathThatIsASymlinkRemovesTheLinkOnly) {
  ASSERT_TRUE(Sys(::symlink(outside_.c_str(), tree_.c_str()), "symlink").ok());
  EXPECT_TRUE(RemoveTree(tree_).ok());
  EXPECT_FALSE(Exists(tree_));
  ExpectOutsideUntouched();
  ASSERT_TRUE(Sys(::symlink(outside_.c_str(), tree_.c_str()), "symlink").ok());
  EXPECT_TRUE(RemoveTree(tree_ + "/").ok());  // a trailing "/" does not make it follow
  ExpectOutsideUntouched();
}

// Deeper than the descriptors it keeps open: ancestors are found again through "..".
TEST_F(RemoveTreeTest, DeepTreeWithBoundedDescriptors) {
  ASSERT_TRUE(MakeDir(tree_).ok());
  std::string path = tree_;
  for (int depth = 0; depth < 300; ++depth) {
    path += "/d";
    ASSERT_TRUE(MakeDir(path).ok());
    ASSERT_TRUE(WriteNewFile(path + "/f", "x").ok());
    if (depth % 50 == 0) {
      ASSERT_TRUE(MakeDir(path + "/side").ok());
    }
  }
  ASSERT_TRUE(Sys(::symlink(outside_.c_str(), (path + "/out").c_str()), "symlink").ok());
  const int before = OpenDescriptors();
  EXPECT_TRUE(RemoveTree(tree_).ok());
  EXPECT_EQ(OpenDescriptors(), before);
  EXPECT_FALSE(Exists(tree_));
  ExpectOutsideUntouched();
}

// A mount point below the tree stops the removal with an error; the mounted filesystem is
// left alone, as are bind mounts of the same filesystem (same st_dev).
TEST_F(RemoveTreeTest, StopsAtMountPoints) {
  ASSERT_TRUE(MakeDir(tree_).ok());
  ASSERT_TRUE(MakeDir(tree_ + "/a").ok());
  ASSERT_TRUE(MakeDir(tree_ + "/a/tmpfs").ok());
  {
    absl::StatusOr<std::unique_ptr<ScopedMount>> tmpfs = ScopedMount::Tmpfs(tree_ + "/a/tmpfs");
    ASSERT_TRUE(tmpfs.ok()) << tmpfs.status();
    ASSERT_TRUE(WriteNewFile(tree_ + "/a/tmpfs/mounted", "x").ok());
    const absl::Status removed = RemoveTree(tree_);
    EXPECT_TRUE(absl::IsFailedPrecondition(removed)) << removed;
    EXPECT_TRUE(Exists(tree_ + "/a/tmpfs/mounted"));
  }
  ASSERT_TRUE(MakeDir(tree_ + "/a/bind").ok());
  {
    absl::StatusOr<std::unique_ptr<ScopedMount>> bind = ScopedMount::Bind(outside_, tree_ + "/a/bind");
    ASSERT_TRUE(bind.ok()) << bind.status();
    const absl::Status removed = RemoveTree(tree_);
    EXPECT_TRUE(absl::IsFailedPrecondition(removed)) << removed;
    ExpectOutsideUntouched();
    // The tree's own root a mount point: refused too.
    const absl::Status root = RemoveTree(tree_ + "/a/bind");
    EXPECT_TRUE(absl::IsFailedPrecondition(root)) << root;
    ExpectOutsideUntouched();
  }
  EXPECT_TRUE(RemoveTree(tree_).ok());  // unmounted: the rest goes
  EXPECT_FALSE(Exists(tree_));
  ExpectOutsideUntouched();
}

// A relative path is resolved from the working directory, which does not move.
TEST_F(RemoveTreeTest, RelativePathAndWorkingDirectory) {
  ASSERT_TRUE(MakeDir(tree_).ok());
  ASSERT_TRUE(MakeDir(tree_ + "/x").ok());
  char before[4096];
  ASSERT_NE(::getcwd(before, sizeof before), nullptr);
  ASSERT_EQ(::chdir(tmp_.path().c_str()), 0);
  const absl::Status removed = RemoveTree("tree");
  char after[4096];
  ASSERT_NE(::getcwd(after, sizeof after), nullptr);
  ASSERT_EQ(::chdir(before), 0);
  EXPECT_TRUE(removed.ok()) << removed;
  EXPECT_EQ(std::string(after), tmp_.path());
  EXPECT_FALSE(Exists(tree_));
}

}  // namespace
}  // namespace tardis::archive
