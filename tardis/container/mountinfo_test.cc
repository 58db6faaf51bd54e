// Golden, table-driven tests of OverlayUpperdirAt(), and a live check against an overlay
// mounted in a private mount namespace.
#include "tardis/container/mountinfo.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/container/read_mountinfo.h"
#include "tardis/testing/golden.h"
#include "tardis/testing/cannot_run_here.h"

namespace tardis::container {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestFile;

std::string Describe(const absl::StatusOr<std::string>& upperdir) {
  return upperdir.ok() ? absl::CHexEscape(*upperdir) : upperdir.status().ToString();
}

TEST(OverlayUpperdirAtTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/container/mountinfo.golden");
  ASSERT_GE(cases.size(), 40u);
  for (const GoldenCase& c : cases) {
    const std::string mountinfo = ReadTestFile("testdata/container/mountinfo/" + c["mountinfo"]);
    std::string mount_point;
    ASSERT_TRUE(absl::CUnescape(c["mount_point"], &mount_point)) << "mountinfo.golden:" << c.line;
    EXPECT_EQ(Describe(OverlayUpperdirAt(mountinfo, mount_point)), c["want"])
        << "mountinfo.golden:" << c.line;
  }
}

TEST(OverlayUpperdirAtTest, EmptyMountinfoHasNothing) {
  EXPECT_TRUE(absl::IsNotFound(OverlayUpperdirAt("", "/x").status()));
  EXPECT_TRUE(absl::IsNotFound(OverlayUpperdirAt("\n\n", "/x").status()));
}

TEST(ParseMountinfoLineTest, FieldsAndOptionalFields) {
  const std::optional<MountinfoEntry> entry = ParseMountinfoLine(
      "36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 shared:2 - ext3 /dev/root "
      "rw,errors=continue");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->root, "/mnt1");
  EXPECT_EQ(entry->mount_point, "/mnt 2");
  EXPECT_EQ(entry->fstype, "ext3");
  EXPECT_EQ(entry->source, "/dev/root");
  EXPECT_EQ(entry->super_options, "rw,errors=continue");
  EXPECT_FALSE(ParseMountinfoLine("36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root").has_value());
  EXPECT_FALSE(ParseMountinfoLine("36 35 98:0 /mnt1 /mnt2 rw ext3 /dev/root rw").has_value());
  EXPECT_FALSE(ParseMountinfoLine("").has_value());
  // "-" among the first six fields is not the separator.
  EXPECT_FALSE(ParseMountinfoLine("- - - - - - - a b").has_value());
  EXPECT_TRUE(ParseMountinfoLine("1 2 3 4 5 6 - a b c").has_value());
}

TEST(SplitSuperOptionsTest, SplitsOnUnescapedCommasOnly) {
  EXPECT_EQ(SplitSuperOptions("rw,lowerdir=/a\\054b,upperdir=/u"),
            (std::vector<std::string>{"rw", "lowerdir=/a,b", "upperdir=/u"}));
  EXPECT_EQ(SplitSuperOptions("a\\,b,c"), (std::vector<std::string>{"a\\,b", "c"}));
  EXPECT_EQ(SplitSuperOptions(""), (std::vector<std::string>{""}));
  EXPECT_EQ(SplitSuperOptions("trailing\\"), (std::vector<std::string>{"trailing\\"}));
}

// Mounts a real overlay in a private mount namespace of this test process and finds its
// upperdir in what the kernel reports. The namespace (and the mount with it) goes away
// when the test process exits; the mount is also undone explicitly.
TEST(OverlayUpperdirAtTest, FindsALiveOverlay) {
  if (::geteuid() != 0) TARDIS_CANNOT_RUN_HERE("needs root to mount");
  if (::unshare(CLONE_NEWNS) != 0) TARDIS_CANNOT_RUN_HERE("unshare(CLONE_NEWNS): " << errno);
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
  char* real = ::realpath(::testing::TempDir().c_str(), nullptr);
  ASSERT_NE(real, nullptr);
  const std::string base = absl::StrCat(real, "/live overlay");
  std::free(real);
  const std::string lower = base + "/lower", upper = base + "/up,per\tdir", work = base + "/work";
  const std::string c1 = base + "/c1", c10 = base + "/c10";
  for (const std::string& dir :
       {base, lower, upper, work, c1, c10, c1 + "/rootfs", c10 + "/rootfs"}) {
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
  }
  // overlay's own escape for a comma in a path.
  const std::string options =
      absl::StrCat("lowerdir=", lower, ",upperdir=", base, "/up\\,per\tdir,workdir=", work);
  if (::mount("overlay", (c10 + "/rootfs").c_str(), "overlay", 0, options.c_str()) != 0) {
    TARDIS_CANNOT_RUN_HERE("cannot mount overlay here: " << errno);
  }
  const absl::StatusOr<std::string> mountinfo = ReadMountinfo();
  ASSERT_TRUE(mountinfo.ok()) << mountinfo.status();
  EXPECT_EQ(Describe(OverlayUpperdirAt(*mountinfo, c10 + "/rootfs")), absl::CHexEscape(upper));
  EXPECT_TRUE(absl::IsNotFound(OverlayUpperdirAt(*mountinfo, c1 + "/rootfs").status()));
  EXPECT_EQ(::umount2((c10 + "/rootfs").c_str(), MNT_DETACH), 0);
  const absl::StatusOr<std::string> after = ReadMountinfo();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(absl::IsNotFound(OverlayUpperdirAt(*after, c10 + "/rootfs").status()));
}

TEST(ReadMountinfoTest, MissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ReadMountinfo("/nonexistent/mountinfo").status()));
}

}  // namespace
}  // namespace tardis::container
