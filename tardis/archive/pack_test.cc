// PackUpperdir(): what it stores and what it leaves out (with notes), and its refusals.
#include "tardis/archive/pack.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

#include "tardis/archive/libarchive.h"
#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/archive/test_tree.h"
#include "tardis/archive/unpack.h"
#include "tardis/sys/stream_hash.h"

namespace tardis::archive {
namespace {

using testing::DiffTrees;
using testing::MakeDir;
using testing::MakeSocketFile;
using testing::ReadWholeFile;
using testing::ScopedMount;
using testing::ScopedTempDir;
using testing::Snapshot;
using testing::Sys;
using testing::Tree;
using testing::WriteNewFile;

std::string Join(const std::vector<std::string>& lines) { return absl::StrJoin(lines, "\n"); }

// One line per entry: "<type> <path> <uid>:<gid>[ <uname>/<gname>]", or
// "hardlink <path> -> <target> ...". Directories keep the "/" the pax writer adds.
std::vector<std::string> ListArchive(const std::string& bytes) {
  std::vector<std::string> lines;
  ArchiveReader reader(archive_read_new());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) return {"cannot open"};
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    const char* type = "?";
    switch (archive_entry_filetype(entry)) {
      case AE_IFREG: type = "file"; break;
      case AE_IFDIR: type = "dir"; break;
      case AE_IFLNK: type = "symlink"; break;
      case AE_IFIFO: type = "fifo"; break;
      case AE_IFCHR: type = "chr"; break;
      default: break;
    }
    std::string line = absl::StrCat(type, " ", archive_entry_pathname(entry));
    if (const char* link = archive_entry_hardlink(entry)) {
      line = absl::StrCat("hardlink ", archive_entry_pathname(entry), " -> ", link);
    }
    absl::StrAppend(&line, " ", archive_entry_uid(entry), ":", archive_entry_gid(entry));
    const char* uname = archive_entry_uname(entry);
    const char* gname = archive_entry_gname(entry);
    if ((uname != nullptr && *uname != '\0') || (gname != nullptr && *gname != '\0')) {
      absl::StrAppend(&line, " ", uname ? uname : "", "/", gname ? gname : "");
    }
    lines.push_back(line);
  }
  return lines;
}

class PackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    TARDIS_ASSERT_OK(MakeDir(upper_));
  }

  ScopedTempDir tmp_;
  const std::string upper_ = tmp_ / "upper";
  const std::string archive_ = tmp_ / "rootfs.tar";
};

// Parents before children, names relative to the upperdir (which is not stored itself),
// numeric owners only, second names as hardlinks.
TEST_F(PackTest, StoresRelativeNamesAndNumericOwners) {
  TARDIS_ASSERT_OK(MakeDir(upper_ + "/etc"));
  TARDIS_ASSERT_OK(WriteNewFile(upper_ + "/etc/passwd", "root"));
  TARDIS_ASSERT_OK(Sys(::lchown((upper_ + "/etc/passwd").c_str(), 0, 0), "chown"));  // has a name: root
  TARDIS_ASSERT_OK(Sys(::link((upper_ + "/etc/passwd").c_str(), (upper_ + "/again").c_str()), "link"));
  TARDIS_ASSERT_OK(Sys(::lchown((upper_ + "/etc").c_str(), 1234, 5678), "chown"));
  TARDIS_ASSERT_OK(Sys(::mknod((upper_ + "/w1").c_str(), S_IFCHR, 0), "mknod"));
  TARDIS_ASSERT_OK(Sys(::link((upper_ + "/w1").c_str(), (upper_ + "/w2").c_str()), "link"));
  absl::StatusOr<PackResult> packed = PackUpperdir(upper_ + "/", archive_);
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(packed->entries, 5u);
  absl::StatusOr<std::string> bytes = ReadWholeFile(archive_);
  ASSERT_TRUE(bytes.ok());
  std::vector<std::string> lines = ListArchive(*bytes);
  ASSERT_EQ(lines.size(), 5u) << Join(lines);
  std::sort(lines.begin(), lines.end());
  // Which of two names comes first depends on the directory's order.
  const std::string passwd_pair = absl::StrContains(Join(lines), "file again 0:0")
                                      ? "file again 0:0\nhardlink etc/passwd -> again 0:0"
                                      : "hardlink again -> etc/passwd 0:0\nfile etc/passwd 0:0";
  const std::string whiteout_pair = absl::StrContains(Join(lines), "chr w1 0:0") ? "chr w1 0:0\nhardlink w2 -> w1 0:0"
                                                                                 : "hardlink w1 -> w2 0:0\nchr w2 0:0";
  std::vector<std::string> want = absl::StrSplit(absl::StrCat(passwd_pair, "\ndir etc/ 1234:5678\n", whiteout_pair), '\n');
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Join(lines), Join(want));
  EXPECT_EQ(packed->bytes, bytes->size());
  EXPECT_EQ(packed->xxh3_128_hex, Xxh3_128Hex(*bytes));
  EXPECT_EQ(bytes->size() % 512, 0u);
}

// Sockets and device nodes other than whiteouts cannot be restored: left out, with notes.
TEST_F(PackTest, SkipsSocketsAndDevicesWithNotes) {
  TARDIS_ASSERT_OK(MakeSocketFile(upper_, "socket"));
  TARDIS_ASSERT_OK(Sys(::mknod((upper_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), "mknod"));
  TARDIS_ASSERT_OK(Sys(::mknod((upper_ + "/disk").c_str(), S_IFBLK | 0600, makedev(8, 0)), "mknod"));
  TARDIS_ASSERT_OK(Sys(::mkfifo((upper_ + "/fifo").c_str(), 0600), "mkfifo"));
  TARDIS_ASSERT_OK(Sys(::mknod((upper_ + "/whiteout").c_str(), S_IFCHR, 0), "mknod"));
  absl::StatusOr<PackResult> packed = PackUpperdir(upper_, archive_);
  ASSERT_TRUE(packed.ok()) << packed.status();
  std::vector<std::string> notes = packed->notes;
  std::sort(notes.begin(), notes.end());
  EXPECT_EQ(Join(notes),
            "skipped device node \"disk\" (8:0)\n"
            "skipped device node \"null\" (1:3)\n"
            "skipped socket \"socket\"");
  absl::StatusOr<std::string> bytes = ReadWholeFile(archive_);
  ASSERT_TRUE(bytes.ok());
  std::vector<std::string> lines = ListArchive(*bytes);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(Join(lines), "chr whiteout 0:0\nfifo fifo 0:0");
}

// The walk stops at mount points: another filesystem, or a bind mount of the same one.
TEST_F(PackTest, DoesNotCrossMounts) {
  const std::string outside = tmp_ / "outside";
  TARDIS_ASSERT_OK(MakeDir(outside));
  TARDIS_ASSERT_OK(WriteNewFile(outside + "/host_file", "host"));
  TARDIS_ASSERT_OK(MakeDir(upper_ + "/tmpfs"));
  TARDIS_ASSERT_OK(MakeDir(upper_ + "/bind"));
  TARDIS_ASSERT_OK(WriteNewFile(upper_ + "/own", "own"));
  absl::StatusOr<std::unique_ptr<ScopedMount>> tmpfs = ScopedMount::Tmpfs(upper_ + "/tmpfs");
  ASSERT_TRUE(tmpfs.ok()) << tmpfs.status();
  TARDIS_ASSERT_OK(WriteNewFile(upper_ + "/tmpfs/mounted_file", "mounted"));
  absl::StatusOr<std::unique_ptr<ScopedMount>> bind = ScopedMount::Bind(outside, upper_ + "/bind");
  ASSERT_TRUE(bind.ok()) << bind.status();
  absl::StatusOr<PackResult> packed = PackUpperdir(upper_, archive_);
  ASSERT_TRUE(packed.ok()) << packed.status();
  std::vector<std::string> notes = packed->notes;
  std::sort(notes.begin(), notes.end());
  EXPECT_EQ(Join(notes), "did not descend into mount point \"bind\"\ndid not descend into mount point \"tmpfs\"");
  absl::StatusOr<std::string> bytes = ReadWholeFile(archive_);
  ASSERT_TRUE(bytes.ok());
  std::vector<std::string> lines = ListArchive(*bytes);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(Join(lines), "dir bind/ 0:0\ndir tmpfs/ 0:0\nfile own 0:0");
}

// The log of a checkpoint whose archive did not fit must say why.
TEST_F(PackTest, AFullDiskIsNamedInTheError) {
  const std::string full = tmp_ / "full";
  TARDIS_ASSERT_OK(MakeDir(full));
  absl::StatusOr<std::unique_ptr<ScopedMount>> tmpfs = ScopedMount::Tmpfs(full);  // 16 MiB
  ASSERT_TRUE(tmpfs.ok()) << tmpfs.status();
  TARDIS_ASSERT_OK(WriteNewFile(upper_ + "/big", std::string(20 << 20, 'x')));
  absl::StatusOr<PackResult> packed = PackUpperdir(upper_, full + "/rootfs.tar");
  ASSERT_FALSE(packed.ok());
  EXPECT_TRUE(absl::StrContains(packed.status().message(), "No space left on device")) << packed.status();
}

TEST_F(PackTest, RefusesAnArchiveInsideTheUpperdir) {
  TARDIS_ASSERT_OK(WriteNewFile(upper_ + "/file", "x"));
  const absl::StatusOr<PackResult> packed = PackUpperdir(upper_, upper_ + "/rootfs.tar");
  EXPECT_TRUE(absl::IsInvalidArgument(packed.status())) << packed.status();
  struct stat st;
  EXPECT_NE(::lstat((upper_ + "/rootfs.tar").c_str(), &st), 0) << "a failed pack leaves no archive";
}

TEST_F(PackTest, NeverReplacesAnExistingFile) {
  TARDIS_ASSERT_OK(WriteNewFile(archive_, "someone else's"));
  EXPECT_TRUE(absl::IsAlreadyExists(PackUpperdir(upper_, archive_).status()));
  EXPECT_EQ(ReadWholeFile(archive_).value_or(""), "someone else's");
  TARDIS_ASSERT_OK(Sys(::symlink(archive_.c_str(), (tmp_ / "link.tar").c_str()), "symlink"));
  EXPECT_FALSE(PackUpperdir(upper_, tmp_ / "link.tar").ok());
  EXPECT_EQ(ReadWholeFile(archive_).value_or(""), "someone else's");
}

TEST_F(PackTest, UpperdirMustBeADirectory) {
  TARDIS_ASSERT_OK(WriteNewFile(tmp_ / "file", "x"));
  TARDIS_ASSERT_OK(Sys(::symlink(upper_.c_str(), (tmp_ / "link").c_str()), "symlink"));
  for (const std::string& bad : {tmp_ / "missing", tmp_ / "file", tmp_ / "link", std::string("/"), std::string("")}) {
    EXPECT_FALSE(PackUpperdir(bad, archive_).ok()) << bad;
    struct stat st;
    EXPECT_NE(::lstat(archive_.c_str(), &st), 0) << bad;
  }
}

// Packing reads the upperdir and changes nothing in it (but access times).
TEST_F(PackTest, LeavesTheUpperdirAlone) {
  TARDIS_ASSERT_OK(MakeDir(upper_ + "/d", 0500));
  TARDIS_ASSERT_OK(WriteNewFile(upper_ + "/d/unreadable", "x", 0));
  TARDIS_ASSERT_OK(Sys(::chmod((upper_ + "/d").c_str(), 0), "chmod"));
  absl::StatusOr<Tree> before = Snapshot(upper_);
  ASSERT_TRUE(before.ok());
  absl::StatusOr<PackResult> packed = PackUpperdir(upper_, archive_);
  ASSERT_TRUE(packed.ok()) << packed.status();
  absl::StatusOr<Tree> after = Snapshot(upper_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Join(DiffTrees(*before, *after, testing::Compare{.root = true})), "");
  // and it round-trips
  TARDIS_ASSERT_OK(MakeDir(tmp_ / "upper2"));
  absl::StatusOr<UnpackRecord> unpacked =
      UnpackIntoUpperdir(archive_, tmp_ / "upper2", packed->xxh3_128_hex, packed->bytes);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  absl::StatusOr<Tree> restored = Snapshot(tmp_ / "upper2");
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(Join(DiffTrees(*before, *restored)), "");
}

}  // namespace
}  // namespace tardis::archive
