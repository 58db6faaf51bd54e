// Golden, table-driven tests of LocateImage(), and the lexical path helpers under it.
#include "tardis/container/image_location.h"

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <gtest/gtest.h>

#include "tardis/container/path.h"
#include "tardis/testing/golden.h"

namespace tardis::container {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;

std::string Describe(const absl::StatusOr<ImageLocation>& location) {
  if (!location.ok()) return location.status().ToString();
  std::string out = absl::StrCat("image=", location->image_dir);
  if (!location->work_dir.empty()) absl::StrAppend(&out, " work=", location->work_dir);
  return out;
}

TEST(LocateImageTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/container/image_location.golden");
  ASSERT_GE(cases.size(), 25u);
  for (const GoldenCase& c : cases) {
    ContainerSettings settings;
    settings.enabled = true;
    if (c["mode"] == "checkpoint_host_path") {
      settings.mode = StorageMode::kCheckpointHostPath;
      settings.checkpoint_host_path = c["host_path"];
    } else if (c["mode"] == "networkfs") {
      settings.mode = StorageMode::kNetworkFs;
      settings.networkfs_host_path = c["host_path"];
      settings.workdir_container_path = "/work";
    } else {
      ASSERT_EQ(c["mode"], "default_base") << "image_location.golden:" << c.line;
    }
    const std::string base = c.has("base") ? c["base"] : "/var/lib/tardis/checkpoints";
    const std::string id = absl::StrReplaceAll(c["id"], {{"\\t", "\t"}});
    EXPECT_EQ(Describe(LocateImage(settings, c["ns"], id, base)), c["want"])
        << "image_location.golden:" << c.line;
  }
}

TEST(LocateImageTest, RefusesPathsTheKernelWouldRefuse) {
  ContainerSettings settings;
  settings.mode = StorageMode::kCheckpointHostPath;
  settings.checkpoint_host_path = absl::StrCat("/", std::string(kMaxPathBytes - 10, 'a'));
  EXPECT_EQ(LocateImage(settings, "default", "c1", "/b").status().message(),
            "image path longer than 4095 bytes");
  settings.checkpoint_host_path = std::string("/mnt/\0x", 7);
  EXPECT_EQ(LocateImage(settings, "default", "c1", "/b").status().message(),
            "TARDIS_CHECKPOINT_HOST_PATH: path contains a NUL byte");
}

TEST(PathTest, NormalizeAbsolutePath) {
  EXPECT_EQ(*NormalizeAbsolutePath("/"), "/");
  EXPECT_EQ(*NormalizeAbsolutePath("///"), "/");
  EXPECT_EQ(*NormalizeAbsolutePath("/./."), "/");
  EXPECT_EQ(*NormalizeAbsolutePath("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(*NormalizeAbsolutePath("/a/.b/..c/c.."), "/a/.b/..c/c..");
  EXPECT_FALSE(NormalizeAbsolutePath("").ok());
  EXPECT_FALSE(NormalizeAbsolutePath("a/b").ok());
  EXPECT_FALSE(NormalizeAbsolutePath("/a/../b").ok());
  EXPECT_FALSE(NormalizeAbsolutePath("/..").ok());
  EXPECT_TRUE(IsNormalizedAbsolutePath("/a/b"));
  EXPECT_TRUE(IsNormalizedAbsolutePath("/"));
  EXPECT_FALSE(IsNormalizedAbsolutePath("/a/b/"));
  EXPECT_FALSE(IsNormalizedAbsolutePath("/a//b"));
}

TEST(PathTest, PathIsAtOrBelowRespectsComponentBoundaries) {
  EXPECT_TRUE(PathIsAtOrBelow("/allowed", "/allowed"));
  EXPECT_TRUE(PathIsAtOrBelow("/allowed/x", "/allowed"));
  EXPECT_FALSE(PathIsAtOrBelow("/allowed-evil", "/allowed"));
  EXPECT_FALSE(PathIsAtOrBelow("/allowedx/y", "/allowed"));
  EXPECT_FALSE(PathIsAtOrBelow("/all", "/allowed"));
  EXPECT_TRUE(PathIsAtOrBelow("/anything", "/"));
  EXPECT_EQ(PathBelow("/allowed/x/y", "/allowed"), "x/y");
  EXPECT_EQ(PathBelow("/x/y", "/"), "x/y");
  EXPECT_EQ(PathBelow("/allowed", "/allowed"), "");
  EXPECT_EQ(JoinPath("/", {"a", "b"}), "/a/b");
  EXPECT_EQ(JoinPath("/r", {"a"}), "/r/a");
}

}  // namespace
}  // namespace tardis::container
