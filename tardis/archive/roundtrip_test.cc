// Round trip on real overlay mounts: what a container does to its files (in the merged
// view) is packed from the upperdir, unpacked into a fresh empty upperdir, and a new
// overlay on the same lower shows exactly the same view, with exactly the same upperdir.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <gtest/gtest.h>

#include "tardis/archive/pack.h"
#include "tardis/archive/unpack.h"
#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/archive/test_tree.h"
#include "tardis/sys/stream_hash.h"

namespace tardis::archive {
namespace {

using testing::AppendToFile;
using testing::Compare;
using testing::DiffTrees;
using testing::MakeDir;
using testing::OverlayMount;
using testing::PseudoRandomBytes;
using testing::ReadWholeFile;
using testing::ScopedTempDir;
using testing::SetTimes;
using testing::SetXattr;
using testing::Snapshot;
using testing::Sys;
using testing::Tree;
using testing::WriteNewFile;

// A POSIX ACL as the kernel stores it in system.posix_acl_*: version 2, then
// (tag, perm, id) entries, little-endian, sorted by tag then id.
std::string PosixAcl(const std::vector<std::tuple<uint16_t, uint16_t, uint32_t>>& entries) {
  std::string out;
  const auto put = [&out](uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  };
  put(2, 4);
  for (const auto& [tag, perm, id] : entries) {
    put(tag, 2);
    put(perm, 2);
    put(id, 4);
  }
  return out;
}
constexpr uint16_t kUserObj = 0x01, kUser = 0x02, kGroupObj = 0x04, kGroup = 0x08, kMask = 0x10, kOther = 0x20;
constexpr uint32_t kNoId = 0xffffffff;

// security.capability, VFS_CAP_REVISION_2 with the effective flag: cap_net_bind_service.
std::string Capability() {
  std::string out(20, '\0');
  const uint32_t words[5] = {0x02000001, 1u << 10, 0, 0, 0};
  for (int w = 0; w < 5; ++w) {
    for (int i = 0; i < 4; ++i) out[4 * w + i] = static_cast<char>((words[w] >> (8 * i)) & 0xff);
  }
  return out;
}

std::string Join(const std::vector<std::string>& lines) { return absl::StrJoin(lines, "\n"); }

// The lower layer: an image's files.
void MakeLower(const std::string& lower) {
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/keep", "keep"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/modify", "old"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/delete_me", "x"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/delete_me_too", "y"));
  TARDIS_ASSERT_OK(MakeDir(lower + "/recreate"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/recreate/a", "a"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/recreate/b", "b"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/rename_me", "r"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/chown_me", "c"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/link_me", "l"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/tag_me", "t"));
  TARDIS_ASSERT_OK(MakeDir(lower + "/etc"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
  TARDIS_ASSERT_OK(WriteNewFile(lower + "/etc/hosts", "127.0.0.1 localhost\n"));
  TARDIS_ASSERT_OK(Sys(::symlink("passwd", (lower + "/etc/lower_link").c_str()), "symlink"));
}

// What a container does to its files, through the merged view.
void ChangeMerged(const std::string& m) {
  // new, modified and deleted files; a deleted and recreated directory (opaque)
  TARDIS_ASSERT_OK(MakeDir(m + "/new"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/file", "new content\n"));
  TARDIS_ASSERT_OK(AppendToFile(m + "/modify", " and new"));
  TARDIS_ASSERT_OK(Sys(::unlink((m + "/delete_me").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::unlink((m + "/delete_me_too").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::unlink((m + "/etc/hosts").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::unlink((m + "/recreate/a").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::unlink((m + "/recreate/b").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::rmdir((m + "/recreate").c_str()), "rmdir"));
  TARDIS_ASSERT_OK(MakeDir(m + "/recreate", 0750));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/recreate/c", "c"));
  // renames: a lower file, a directory made here
  TARDIS_ASSERT_OK(Sys(::rename((m + "/rename_me").c_str(), (m + "/renamed").c_str()), "rename"));
  TARDIS_ASSERT_OK(MakeDir(m + "/new/dir_before"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/dir_before/inside", "i"));
  TARDIS_ASSERT_OK(Sys(::rename((m + "/new/dir_before").c_str(), (m + "/new/dir_after").c_str()), "rename"));
  // symlinks: relative, absolute, dangling, to a directory, replacing a lower one
  TARDIS_ASSERT_OK(Sys(::symlink("../keep", (m + "/new/sym").c_str()), "symlink"));
  TARDIS_ASSERT_OK(Sys(::symlink("/etc/passwd", (m + "/new/abs_sym").c_str()), "symlink"));
  TARDIS_ASSERT_OK(Sys(::symlink("nowhere/at/all", (m + "/new/dangling").c_str()), "symlink"));
  TARDIS_ASSERT_OK(Sys(::symlink("../etc", (m + "/new/dir_sym").c_str()), "symlink"));
  TARDIS_ASSERT_OK(Sys(::unlink((m + "/etc/lower_link").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::symlink("hosts.new", (m + "/etc/lower_link").c_str()), "symlink"));
  // hardlinks: among new files (three names), and of a lower file (copied up once)
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/h1", "hard"));
  TARDIS_ASSERT_OK(Sys(::link((m + "/new/h1").c_str(), (m + "/new/h2").c_str()), "link"));
  TARDIS_ASSERT_OK(Sys(::link((m + "/new/h1").c_str(), (m + "/h3").c_str()), "link"));
  TARDIS_ASSERT_OK(Sys(::link((m + "/link_me").c_str(), (m + "/new/linked").c_str()), "link"));
  TARDIS_ASSERT_OK(Sys(::symlink("h1", (m + "/new/hsym1").c_str()), "symlink"));
  TARDIS_ASSERT_OK(Sys(::link((m + "/new/hsym1").c_str(), (m + "/new/hsym2").c_str()), "link"));
  // owners, setuid/setgid/sticky
  TARDIS_ASSERT_OK(Sys(::lchown((m + "/chown_me").c_str(), 1234, 5678), "chown"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/suid", "#!/bin/sh\n", 0755));
  TARDIS_ASSERT_OK(Sys(::lchown((m + "/new/suid").c_str(), 1234, 5678), "chown"));
  TARDIS_ASSERT_OK(Sys(::chmod((m + "/new/suid").c_str(), 06755), "chmod"));
  TARDIS_ASSERT_OK(MakeDir(m + "/new/sgid", 02775));
  TARDIS_ASSERT_OK(Sys(::lchown((m + "/new/sgid").c_str(), 0, 5678), "chown"));
  TARDIS_ASSERT_OK(Sys(::chmod((m + "/new/sgid").c_str(), 02775), "chmod"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/sgid/inherits", "g"));
  TARDIS_ASSERT_OK(MakeDir(m + "/new/sticky", 01777));
  TARDIS_ASSERT_OK(Sys(::lchown((m + "/new/sticky").c_str(), 4294967294u, 4294967294u), "chown"));
  TARDIS_ASSERT_OK(Sys(::lchown((m + "/new/sym").c_str(), 1234, 5678), "lchown"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/no_perms", "", 0));
  // extended attributes: user.*, trusted.*, on a file, a directory, a lower file, a symlink;
  // security.capability; POSIX ACLs (access and default)
  TARDIS_ASSERT_OK(SetXattr(m + "/new/file", "user.comment", "hello"));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/file", "user.binary", std::string("\0\x01\xff\n", 4)));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/file", "trusted.tardis", "trusted value"));
  TARDIS_ASSERT_OK(SetXattr(m + "/new", "user.on_dir", "d"));
  TARDIS_ASSERT_OK(SetXattr(m + "/tag_me", "user.tagged", "yes"));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/sym", "trusted.on_symlink", "s"));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/file", "user.big", std::string(3000, 'v')));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/cap", "\x7f" "ELF", 0755));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/cap", "security.capability", Capability()));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/acl_file", "acl"));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/acl_file", "system.posix_acl_access",
                            PosixAcl({{kUserObj, 6, kNoId}, {kUser, 4, 1000}, {kGroupObj, 4, kNoId},
                                      {kGroup, 6, 2000}, {kMask, 6, kNoId}, {kOther, 0, kNoId}})));
  TARDIS_ASSERT_OK(MakeDir(m + "/new/acl_dir"));
  TARDIS_ASSERT_OK(SetXattr(m + "/new/acl_dir", "system.posix_acl_default",
                            PosixAcl({{kUserObj, 7, kNoId}, {kUser, 5, 1000}, {kGroupObj, 5, kNoId},
                                      {kMask, 5, kNoId}, {kOther, 5, kNoId}})));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/acl_dir/inherited", "i"));
  // special files and sizes: FIFO, empty, holes, 5 MiB
  TARDIS_ASSERT_OK(Sys(::mkfifo((m + "/new/fifo").c_str(), 0640), "mkfifo"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/empty", ""));
  {
    const int fd = ::open((m + "/new/sparse").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    const std::string block = PseudoRandomBytes(4096, 7);
    EXPECT_EQ(::pwrite(fd, block.data(), block.size(), 3 << 20), 4096);
    EXPECT_EQ(::ftruncate(fd, 8 << 20), 0);  // a hole at the end too
    ::close(fd);
  }
  TARDIS_ASSERT_OK(WriteNewFile(m + "/new/big", PseudoRandomBytes(5 << 20, 42)));
  // deep directories
  std::string deep = m + "/new/deep";
  TARDIS_ASSERT_OK(MakeDir(deep));
  for (int i = 0; i < 120; ++i) {
    deep += "/level";
    TARDIS_ASSERT_OK(MakeDir(deep, 0700 + (i % 2) * 055));
  }
  TARDIS_ASSERT_OK(WriteNewFile(deep + "/leaf", "leaf"));
  // names: spaces, newlines, tabs, UTF-8, invalid UTF-8, a long component, a leading dash
  TARDIS_ASSERT_OK(MakeDir(m + "/names"));
  for (const std::string& name :
       {std::string("with space"), std::string(" leading and trailing "), std::string("new\nline"),
        std::string("tab\there"), std::string("\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"),
        std::string("bad utf8 \xff\xfe"), std::string(255, 'n'), std::string("-rf"), std::string("back\\slash"),
        std::string("quote\"and'"), std::string("..."), std::string(".wh.not_a_whiteout")}) {
    TARDIS_ASSERT_OK(WriteNewFile(m + "/names/" + name, name));
  }
  TARDIS_ASSERT_OK(MakeDir(m + "/names/dir with\nnewline"));
  TARDIS_ASSERT_OK(WriteNewFile(m + "/names/dir with\nnewline/file\n", "x"));
  // times, in nanoseconds, last (directories' mtimes move while their entries change)
  TARDIS_ASSERT_OK(SetTimes(m + "/new/file", 1600000000, 123456789));
  TARDIS_ASSERT_OK(SetTimes(m + "/new/sym", 1500000000, 1));
  TARDIS_ASSERT_OK(SetTimes(m + "/new/fifo", 1400000000, 999999999));
  TARDIS_ASSERT_OK(SetTimes(m + "/new/big", 0, 0));
  TARDIS_ASSERT_OK(SetTimes(m + "/keep", 1234567890, 5));  // metadata-only copy-up
  TARDIS_ASSERT_OK(SetTimes(deep, 1300000000, 500));
  TARDIS_ASSERT_OK(SetTimes(m + "/new", 1700000000, 42));
}

bool IsWhiteout(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

TEST(RoundTripTest, OverlayUpperdirSurvivesPackAndUnpack) {
  ScopedTempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string lower = tmp / "lower", upper = tmp / "upper", work = tmp / "work", merged = tmp / "merged";
  for (const std::string& dir : {lower, upper, work, merged}) TARDIS_ASSERT_OK(MakeDir(dir));
  MakeLower(lower);
  if (HasFatalFailure()) return;

  // The container runs.
  absl::StatusOr<std::unique_ptr<OverlayMount>> first = OverlayMount::Mount(lower, upper, work, merged);
  ASSERT_TRUE(first.ok()) << first.status();
  ChangeMerged(merged);
  if (HasFatalFailure()) return;
  absl::StatusOr<Tree> want_merged = Snapshot(merged);
  ASSERT_TRUE(want_merged.ok()) << want_merged.status();
  TARDIS_ASSERT_OK((*first)->Unmount());
  absl::StatusOr<Tree> want_upper = Snapshot(upper);
  ASSERT_TRUE(want_upper.ok()) << want_upper.status();

  // What the test relies on overlayfs to have done.
  ASSERT_TRUE(IsWhiteout(upper + "/delete_me"));
  ASSERT_TRUE(IsWhiteout(upper + "/etc/hosts"));
  ASSERT_EQ(want_upper->at("recreate").xattrs.count("trusted.overlay.opaque"), 1u);
  ASSERT_EQ(want_upper->count("recreate/a"), 0u);
  ASSERT_EQ(want_upper->at("new/cap").xattrs.count("security.capability"), 1u);
  ASSERT_EQ(want_upper->at("new/acl_file").xattrs.count("system.posix_acl_access"), 1u);
  ASSERT_EQ(want_upper->at("new/h1").link_group, "h3");

  // Checkpoint: pack. The upperdir is not changed by it.
  const std::string archive = tmp / "rootfs.tar";
  absl::StatusOr<PackResult> packed = PackUpperdir(upper, archive);
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_TRUE(packed->notes.empty()) << Join(packed->notes);
  EXPECT_EQ(packed->entries, want_upper->size() - 1);  // every entry but the upperdir itself
  absl::StatusOr<std::string> bytes = ReadWholeFile(archive);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(packed->bytes, bytes->size());
  EXPECT_EQ(packed->xxh3_128_hex, Xxh3_128Hex(*bytes));
  EXPECT_LT(bytes->size(), (5u << 20) + (1u << 20)) << "the 8 MiB sparse file was stored with its holes";
  absl::StatusOr<Tree> after_pack = Snapshot(upper);
  ASSERT_TRUE(after_pack.ok());
  EXPECT_EQ(Join(DiffTrees(*want_upper, *after_pack, Compare{.root = true})), "");

  // Restore: unpack into a fresh, empty upperdir.
  const std::string upper2 = tmp / "upper2", work2 = tmp / "work2", merged2 = tmp / "merged2";
  for (const std::string& dir : {upper2, work2, merged2}) TARDIS_ASSERT_OK(MakeDir(dir));
  absl::StatusOr<UnpackRecord> unpacked =
      UnpackIntoUpperdir(archive, upper2, packed->xxh3_128_hex, packed->bytes);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(unpacked->entries, packed->entries);
  EXPECT_EQ(unpacked->created.size(), packed->entries);
  absl::StatusOr<Tree> got_upper = Snapshot(upper2);
  ASSERT_TRUE(got_upper.ok()) << got_upper.status();
  EXPECT_EQ(Join(DiffTrees(*want_upper, *got_upper)), "");
  {
    struct stat st;
    ASSERT_EQ(::stat((upper2 + "/new/sparse").c_str(), &st), 0);
    EXPECT_LT(st.st_blocks * 512, 1 << 20) << "holes are restored as holes";
  }

  // The restored container's view.
  absl::StatusOr<std::unique_ptr<OverlayMount>> second = OverlayMount::Mount(lower, upper2, work2, merged2);
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<Tree> got_merged = Snapshot(merged2);
  ASSERT_TRUE(got_merged.ok()) << got_merged.status();
  EXPECT_EQ(Join(DiffTrees(*want_merged, *got_merged)), "");
  EXPECT_EQ(got_merged->count("delete_me"), 0u);
  EXPECT_EQ(got_merged->count("recreate/a"), 0u);
  EXPECT_EQ(got_merged->count("recreate/c"), 1u);
  TARDIS_ASSERT_OK((*second)->Unmount());
  absl::StatusOr<Tree> upper_after_mount = Snapshot(upper2);
  ASSERT_TRUE(upper_after_mount.ok());
  EXPECT_EQ(Join(DiffTrees(*want_upper, *upper_after_mount)), "");

  // Undo: exactly what was unpacked goes, the upperdir is as it was before.
  TARDIS_ASSERT_OK(RollbackUnpack(upper2, *unpacked));
  absl::StatusOr<Tree> rolled_back = Snapshot(upper2);
  ASSERT_TRUE(rolled_back.ok());
  EXPECT_EQ(rolled_back->size(), 1u);
}

// Names of every byte but NUL and "/", as components and symlink targets.
TEST(RoundTripTest, EveryByteInNames) {
  ScopedTempDir tmp;
  const std::string upper = tmp / "upper", upper2 = tmp / "upper2";
  TARDIS_ASSERT_OK(MakeDir(upper));
  TARDIS_ASSERT_OK(MakeDir(upper2));
  for (int c = 1; c < 256; ++c) {
    if (c == '/' || c == '.') continue;
    const std::string name = absl::StrCat(std::string(1, static_cast<char>(c)), "x", std::string(1, static_cast<char>(c)));
    TARDIS_ASSERT_OK(WriteNewFile(upper + "/" + name, name));
    TARDIS_ASSERT_OK(Sys(::symlink(name.c_str(), (upper + "/l" + name).c_str()), "symlink"));
  }
  absl::StatusOr<Tree> want = Snapshot(upper);
  ASSERT_TRUE(want.ok());
  absl::StatusOr<PackResult> packed = PackUpperdir(upper, tmp / "a.tar");
  ASSERT_TRUE(packed.ok()) << packed.status();
  absl::StatusOr<UnpackRecord> unpacked = UnpackIntoUpperdir(tmp / "a.tar", upper2, packed->xxh3_128_hex, packed->bytes);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  absl::StatusOr<Tree> got = Snapshot(upper2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Join(DiffTrees(*want, *got)), "");
}

// An empty upperdir packs to an archive of no entries, which unpacks to nothing.
TEST(RoundTripTest, EmptyUpperdir) {
  ScopedTempDir tmp;
  TARDIS_ASSERT_OK(MakeDir(tmp / "upper"));
  TARDIS_ASSERT_OK(MakeDir(tmp / "upper2"));
  absl::StatusOr<PackResult> packed = tardis::PackUpperdir(tmp / "upper", tmp / "a.tar");
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(packed->entries, 0u);
  absl::StatusOr<tardis::UnpackRecord> unpacked =
      tardis::UnpackIntoUpperdir(tmp / "a.tar", tmp / "upper2", packed->xxh3_128_hex, packed->bytes);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_TRUE(unpacked->created.empty());
  TARDIS_ASSERT_OK(tardis::RollbackUnpack(tmp / "upper2", *unpacked));
}

}  // namespace
}  // namespace tardis::archive
