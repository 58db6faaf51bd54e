#include "tardis/image/image_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/image/validity.h"
#include "tardis/sys/pinned_directory.h"

namespace tardis {
namespace {

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = absl::StrCat(::testing::TempDir(), "/images-", ::getpid(), "-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(MakeDirectories(base_ + "/default").ok());
  }
  std::string ImageDir(const std::string& id) { return absl::StrCat(base_, "/default/", id); }

  // A staging image with CRIU's files, an archive and a sealed manifest.
  std::string BuildImage(const std::string& id, const std::string& marker) {
    absl::StatusOr<std::string> staging = CreateStaging(ImageDir(id));
    EXPECT_TRUE(staging.ok()) << staging.status();
    std::ofstream(*staging + "/criu/dump.log") << "(00.1) Dumping finished successfully\n";
    std::ofstream(*staging + "/criu/pages-1.img") << marker;
    std::ofstream(*staging + "/rootfs.tar") << std::string(1024, 'x');
    absl::StatusOr<std::vector<ImageFile>> criu = SealCriuFiles(*staging, StreamHash::Sha::kNo);
    EXPECT_TRUE(criu.ok()) << criu.status();
    Manifest manifest;
    manifest.ns = "default";
    manifest.identity = id;
    manifest.container_id = id;
    manifest.rootfs = {kRootfsArchiveName, 1024, "0123456789abcdef0123456789abcdef", ""};
    manifest.criu = *criu;
    EXPECT_TRUE(WriteManifest(*staging, manifest).ok());
    return *staging;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string base_;
};

TEST_F(ImageStoreTest, NoImageUntilPublished) {
  EXPECT_FALSE(FindImage(ImageDir("c1")));
  const std::string staging = BuildImage("c1", "one");
  EXPECT_FALSE(FindImage(ImageDir("c1"))) << "a staging image must never be found";
  ASSERT_TRUE(Publish(staging, ImageDir("c1")).ok());
  ASSERT_EQ(FindImage(ImageDir("c1")), ImageDir("c1"));
  EXPECT_EQ(::access(staging.c_str(), F_OK), -1);
  EXPECT_TRUE(JudgeImage(ObserveImage(ImageDir("c1"), StreamHash::Sha::kNo), "default", "c1", ImageKey{}).ok());
}

TEST_F(ImageStoreTest, PublishReplacesThePreviousImageCompletely) {
  ASSERT_TRUE(Publish(BuildImage("c1", "one"), ImageDir("c1")).ok());
  ASSERT_TRUE(Publish(BuildImage("c1", "two"), ImageDir("c1")).ok());
  EXPECT_EQ(Read(ImageDir("c1") + "/criu/pages-1.img"), "two");
  EXPECT_EQ(::access(ImagePaths::Of(ImageDir("c1")).previous().c_str(), F_OK), -1);
  EXPECT_TRUE(JudgeImage(ObserveImage(ImageDir("c1"), StreamHash::Sha::kNo), "default", "c1", ImageKey{}).ok());
}

// A crash between moving the old image aside and renaming the new one in: the old one
// is still found, and the next publish completes normally.
TEST_F(ImageStoreTest, InterruptedPublishLeavesThePreviousImage) {
  ASSERT_TRUE(Publish(BuildImage("c1", "one"), ImageDir("c1")).ok());
  const std::string staging = BuildImage("c1", "two");
  const ImagePaths paths = ImagePaths::Of(ImageDir("c1"));
  ASSERT_EQ(::rename(paths.published().c_str(), paths.previous().c_str()), 0);  // ... crash

  const std::optional<std::string> found = FindImage(ImageDir("c1"));
  ASSERT_EQ(found, paths.previous());
  EXPECT_EQ(Read(*found + "/criu/pages-1.img"), "one");
  EXPECT_TRUE(JudgeImage(ObserveImage(*found, StreamHash::Sha::kNo), "default", "c1", ImageKey{}).ok());

  // After the reboot, the next checkpoint starts a new staging (dropping the old one).
  const std::string next = BuildImage("c1", "three");
  EXPECT_EQ(::access(staging.c_str(), F_OK), -1);
  ASSERT_TRUE(Publish(next, ImageDir("c1")).ok());
  EXPECT_EQ(Read(ImageDir("c1") + "/criu/pages-1.img"), "three");
  EXPECT_EQ(::access(paths.previous().c_str(), F_OK), -1);
}

// A crash after sealing but before publishing leaves only staging: no image is found.
TEST_F(ImageStoreTest, UnpublishedStagingIsNeverAnImage) {
  ASSERT_TRUE(Publish(BuildImage("c1", "one"), ImageDir("c1")).ok());
  (void)BuildImage("c1", "two");
  EXPECT_EQ(Read(*FindImage(ImageDir("c1")) + "/criu/pages-1.img"), "one");
}

TEST_F(ImageStoreTest, RemoveImageTakesEverythingOfThatContainerOnly) {
  ASSERT_TRUE(Publish(BuildImage("c1", "one"), ImageDir("c1")).ok());
  ASSERT_TRUE(Publish(BuildImage("c10", "ten"), ImageDir("c10")).ok());
  (void)BuildImage("c10", "staging of c10");
  (void)BuildImage("c1", "staging of c1");
  ASSERT_EQ(::mkdir(ImagePaths::Of(ImageDir("c1")).previous().c_str(), 0700), 0);

  ASSERT_TRUE(RemoveImage(ImageDir("c1")).ok());
  EXPECT_FALSE(FindImage(ImageDir("c1")));
  EXPECT_TRUE(StagingLeftovers(ImagePaths::Of(ImageDir("c1"))).empty());
  EXPECT_EQ(Read(*FindImage(ImageDir("c10")) + "/criu/pages-1.img"), "ten");
  EXPECT_EQ(StagingLeftovers(ImagePaths::Of(ImageDir("c10"))).size(), 1u);
  EXPECT_TRUE(RemoveImage(ImageDir("never-existed")).ok());
}

TEST_F(ImageStoreTest, ObservedChangesInvalidateTheImage) {
  ASSERT_TRUE(Publish(BuildImage("c1", "one"), ImageDir("c1")).ok());
  std::ofstream(ImageDir("c1") + "/criu/pages-1.img", std::ios::app) << "!";
  EXPECT_FALSE(JudgeImage(ObserveImage(ImageDir("c1"), StreamHash::Sha::kNo), "default", "c1", ImageKey{}).ok());

  ASSERT_TRUE(Publish(BuildImage("c1", "two"), ImageDir("c1")).ok());
  ASSERT_EQ(::symlink("/etc/passwd", (ImageDir("c1") + "/criu/evil.img").c_str()), 0);
  const absl::StatusOr<Manifest> judged = JudgeImage(ObserveImage(ImageDir("c1"), StreamHash::Sha::kNo), "default", "c1", ImageKey{});
  EXPECT_FALSE(judged.ok());

  ASSERT_TRUE(Publish(BuildImage("c1", "three"), ImageDir("c1")).ok());
  ASSERT_EQ(::unlink((ImageDir("c1") + "/manifest.json").c_str()), 0);
  EXPECT_FALSE(JudgeImage(ObserveImage(ImageDir("c1"), StreamHash::Sha::kNo), "default", "c1", ImageKey{}).ok());
}

TEST_F(ImageStoreTest, ASymlinkedImageDirectoryIsNotFollowed) {
  ASSERT_TRUE(Publish(BuildImage("real", "one"), ImageDir("real")).ok());
  ASSERT_EQ(::symlink(ImageDir("real").c_str(), ImageDir("c1").c_str()), 0);
  EXPECT_FALSE(FindImage(ImageDir("c1")));
}

// Staging leftovers are found where the image's parent is named through a symlink: a
// PinnedDirectory's /proc/self/fd/N (how CollectLeftovers and checkpoints name it), or a
// link an admin made.
TEST_F(ImageStoreTest, StagingLeftoversThroughALinkedParent) {
  (void)BuildImage("c1", "staging of c1");
  ASSERT_EQ(::symlink((base_ + "/default").c_str(), (base_ + "/linked").c_str()), 0);
  absl::StatusOr<PinnedDirectory> pinned = PinnedDirectory::Open(base_ + "/default");
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  for (const std::string& parent : {base_ + "/default", base_ + "/linked", pinned->path()}) {
    const std::vector<std::string> found = StagingLeftovers(ImagePaths::Of(parent + "/c1"));
    ASSERT_EQ(found.size(), 1u) << parent;
    EXPECT_TRUE(absl::StartsWith(found[0], parent + "/.c1.staging.")) << found[0];
  }
  EXPECT_TRUE(StagingLeftovers(ImagePaths::Of(base_ + "/missing/c1")).empty());
}

}  // namespace
}  // namespace tardis
