// UnpackIntoUpperdir()'s guarantees against hostile and damaged archives: it fails,
// writes nothing outside the upperdir (a sentinel beside it stays byte-identical) and
// leaves the upperdir exactly as it was, empty or not. And RollbackUnpack() removes
// exactly what was created, never through a symlink.
#include "tardis/archive/unpack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_replace.h>
#include <gtest/gtest.h>

#include "tardis/archive/pack.h"
#include "tardis/archive/tar_builder.h"
#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/archive/test_tree.h"
#include "tardis/sys/stream_hash.h"
#include "tardis/testing/golden.h"

namespace tardis::archive {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using testing::BuildTar;
using testing::DiffTrees;
using testing::MakeDir;
using testing::PseudoRandomBytes;
using testing::ReadWholeFile;
using testing::ScopedTempDir;
using testing::SetTimes;
using testing::Snapshot;
using testing::Sys;
using testing::Tree;
using testing::WriteNewFile;

std::string Join(const std::vector<std::string>& lines) { return absl::StrJoin(lines, "\n"); }

// A temp dir holding the upperdir, a sentinel directory beside it and the archive.
class Sandbox {
 public:
  explicit Sandbox(bool prepopulated) {
    EXPECT_FALSE(tmp_.path().empty());
    Check(MakeDir(sentinel));
    Check(WriteNewFile(sentinel + "/secret", "secret"));
    Check(MakeDir(sentinel + "/sub"));
    Check(WriteNewFile(sentinel + "/sub/deeper", "deeper"));
    Check(MakeDir(upper));
    if (prepopulated) {
      Check(WriteNewFile(upper + "/pre_file", "pre"));
      Check(MakeDir(upper + "/pre_dir"));
      Check(WriteNewFile(upper + "/pre_dir/inner", "inner"));
      Check(Sys(::symlink(sentinel.c_str(), (upper + "/pre_link").c_str()), "symlink"));
      Check(Sys(::mkfifo((upper + "/pre_fifo").c_str(), 0600), "mkfifo"));
      Check(SetTimes(upper + "/pre_dir", 1111111111, 111));
    }
    Check(SetTimes(upper, 1222222222, 222));
    Check(SetTimes(sentinel, 1333333333, 333));
  }

  // Writes the archive and takes the "before" snapshot of everything.
  void SetArchive(const std::string& bytes) {
    ::unlink(archive.c_str());
    Check(WriteNewFile(archive, bytes));
    absl::StatusOr<Tree> tree = Snapshot(tmp_.path());
    EXPECT_TRUE(tree.ok()) << tree.status();
    if (tree.ok()) before_ = *tree;
  }

  // Differences from the "before" snapshot, one per line.
  std::string Changes() const {
    absl::StatusOr<Tree> now = Snapshot(tmp_.path());
    if (!now.ok()) return now.status().ToString();
    return Join(DiffTrees(before_, *now));
  }

  const std::string& root() const { return tmp_.path(); }

 private:
  static void Check(const absl::Status& status) { EXPECT_TRUE(status.ok()) << status; }

  ScopedTempDir tmp_;
  Tree before_;

 public:
  const std::string upper = tmp_ / "upper";
  const std::string sentinel = tmp_ / "sentinel";
  const std::string archive = tmp_ / "archive.tar";
};

// A real archive of a small tree, packed by PackUpperdir().
std::string PackedSample() {
  ScopedTempDir tmp;
  const std::string root = tmp / "root";
  EXPECT_TRUE(MakeDir(root).ok());
  EXPECT_TRUE(MakeDir(root + "/d").ok());
  EXPECT_TRUE(WriteNewFile(root + "/d/small", "small").ok());
  EXPECT_TRUE(WriteNewFile(root + "/d/bigger", PseudoRandomBytes(20000, 1)).ok());
  EXPECT_TRUE(Sys(::link((root + "/d/small").c_str(), (root + "/hard").c_str()), "link").ok());
  EXPECT_TRUE(Sys(::symlink("d/small", (root + "/sym").c_str()), "symlink").ok());
  EXPECT_TRUE(Sys(::mknod((root + "/wh").c_str(), S_IFCHR, 0), "mknod").ok());
  EXPECT_TRUE(testing::SetXattr(root + "/d", "trusted.overlay.opaque", "y").ok());
  EXPECT_TRUE(MakeDir(root + "/e").ok());
  EXPECT_TRUE(WriteNewFile(root + "/e/last", "last").ok());
  absl::StatusOr<PackResult> packed = PackUpperdir(root, tmp / "sample.tar");
  EXPECT_TRUE(packed.ok()) << packed.status();
  absl::StatusOr<std::string> bytes = ReadWholeFile(tmp / "sample.tar");
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : "";
}

absl::StatusOr<UnpackRecord> Unpack(const Sandbox& box, absl::string_view hex, uint64_t bytes) {
  return UnpackIntoUpperdir(box.archive, box.upper, hex, bytes);
}

absl::StatusOr<UnpackRecord> UnpackWithOwnChecksum(const Sandbox& box, const std::string& bytes) {
  return Unpack(box, Xxh3_128Hex(bytes), bytes.size());
}

TEST(UnpackTest, HostileArchivesGolden) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/archive/hostile.golden");
  ASSERT_GT(cases.size(), 30u);
  for (const GoldenCase& c : cases) {
    for (const bool prepopulated : {false, true}) {
      if (c["only"] == "prepopulated" && !prepopulated) continue;
      SCOPED_TRACE(absl::StrCat("hostile.golden:", c.line, prepopulated ? " (prepopulated)" : " (empty)"));
      Sandbox box(prepopulated);
      const std::string description = absl::StrReplaceAll(c["archive"], {{"$SENTINEL", box.sentinel}});
      absl::StatusOr<std::string> tar = BuildTar(description, c.has("format") ? c["format"] : "pax");
      ASSERT_TRUE(tar.ok()) << tar.status();
      box.SetArchive(*tar);
      const absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, *tar);
      ASSERT_FALSE(unpacked.ok()) << "unpacked " << unpacked->entries << " entries";
      EXPECT_EQ(absl::StatusCodeToString(unpacked.status().code()), c["want"]) << unpacked.status();
      EXPECT_TRUE(absl::StrContains(unpacked.status().message(), c["why"])) << unpacked.status();
      EXPECT_FALSE(absl::StrContains(unpacked.status().message(), "\n")) << unpacked.status();
      EXPECT_EQ(box.Changes(), "");
    }
  }
}

// Messages quote the archive's names: no line breaks, no unbounded lengths.
TEST(UnpackTest, ErrorMessagesCannotForgeLogLines) {
  Sandbox box(false);
  const std::string name = "a\\nERROR forged line " + std::string(2000, 'x');
  absl::StatusOr<std::string> tar = BuildTar(absl::StrCat("file ", name, " x | file ", name, " y"));
  ASSERT_TRUE(tar.ok()) << tar.status();
  box.SetArchive(*tar);
  const absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, *tar);
  ASSERT_TRUE(absl::IsAlreadyExists(unpacked.status())) << unpacked.status();
  EXPECT_FALSE(absl::StrContains(unpacked.status().message(), "\n"));
  EXPECT_LT(unpacked.status().message().size(), 1000u);
  EXPECT_EQ(box.Changes(), "");
}

// A file cut short on disk: its size no longer matches, nothing is written.
TEST(UnpackTest, TruncatedArchiveAgainstItsManifest) {
  const std::string sample = PackedSample();
  ASSERT_GT(sample.size(), 20000u);
  for (const size_t size : {size_t{0}, size_t{1}, size_t{512}, sample.size() / 2, sample.size() - 512,
                            sample.size() - 1}) {
    SCOPED_TRACE(size);
    Sandbox box(true);
    box.SetArchive(sample.substr(0, size));
    const absl::StatusOr<UnpackRecord> unpacked = Unpack(box, Xxh3_128Hex(sample), sample.size());
    EXPECT_TRUE(absl::IsDataLoss(unpacked.status())) << unpacked.status();
    EXPECT_EQ(box.Changes(), "");
  }
}

// Cut anywhere, with a checksum that matches the cut (as if the manifest were forged
// too): a cut inside a header or inside a file's data fails and is rolled back. A cut at
// an entry boundary, or in the padding after the last file's data, is a shorter archive
// whose entries are all whole (tar needs no end marker), so it may unpack: then every
// entry is exactly as in the whole archive (and it is rolled back here).
TEST(UnpackTest, TruncatedArchiveWithMatchingChecksum) {
  const std::string sample = PackedSample();
  Tree whole;
  {
    Sandbox box(false);
    box.SetArchive(sample);
    absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, sample);
    ASSERT_TRUE(unpacked.ok()) << unpacked.status();
    absl::StatusOr<Tree> tree = Snapshot(box.upper);
    ASSERT_TRUE(tree.ok());
    whole = *tree;
  }
  int failed = 0;
  for (size_t size = 1; size < sample.size(); size += 61) {
    SCOPED_TRACE(size);
    Sandbox box(true);
    const std::string cut = sample.substr(0, size);
    box.SetArchive(cut);
    const absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, cut);
    if (unpacked.ok()) {
      Tree want, got;
      for (const std::string& path : unpacked->created) {
        absl::StatusOr<Tree> one = Snapshot(box.upper + "/" + path);
        ASSERT_TRUE(one.ok());
        got[path] = one->at("");
        want[path] = whole.at(path);
        got[path].link_group = want[path].link_group = "";
      }
      EXPECT_EQ(Join(DiffTrees(want, got, testing::Compare{.root = true})), "");
      TARDIS_ASSERT_OK(RollbackUnpack(box.upper, *unpacked));
    } else {
      ++failed;
    }
    EXPECT_EQ(box.Changes(), "");
  }
  EXPECT_GT(failed, static_cast<int>(sample.size() / 61) * 9 / 10);
}

// One byte changed anywhere: the checksum (or the tar structure before it) fails.
TEST(UnpackTest, CorruptedByte) {
  const std::string sample = PackedSample();
  const std::string hex = Xxh3_128Hex(sample);
  for (size_t at = 0; at < sample.size(); at += 97) {
    SCOPED_TRACE(at);
    Sandbox box(at % 2 == 0);
    std::string corrupted = sample;
    corrupted[at] = static_cast<char>(corrupted[at] ^ 0x20);
    box.SetArchive(corrupted);
    const absl::StatusOr<UnpackRecord> unpacked = Unpack(box, hex, sample.size());
    ASSERT_FALSE(unpacked.ok());
    EXPECT_TRUE(absl::IsDataLoss(unpacked.status()) || absl::IsInvalidArgument(unpacked.status()))
        << unpacked.status();
    EXPECT_EQ(box.Changes(), "");
  }
  // A change in file data parses fine; only the checksum catches it.
  Sandbox box(false);
  std::string corrupted = sample;
  const size_t data = corrupted.find("small");
  ASSERT_NE(data, std::string::npos);
  const size_t content = corrupted.find("small", corrupted.find('\0', data + 512));
  ASSERT_NE(content, std::string::npos);
  corrupted[content] = 'S';
  box.SetArchive(corrupted);
  const absl::StatusOr<UnpackRecord> unpacked = Unpack(box, hex, sample.size());
  EXPECT_TRUE(absl::IsDataLoss(unpacked.status())) << unpacked.status();
  EXPECT_TRUE(absl::StrContains(unpacked.status().message(), "xxh3-128")) << unpacked.status();
  EXPECT_EQ(box.Changes(), "");
}

TEST(UnpackTest, WrongExpectedSize) {
  const std::string sample = PackedSample();
  for (const uint64_t size : {uint64_t{0}, sample.size() - 1, sample.size() + 1, uint64_t{1} << 62}) {
    Sandbox box(true);
    box.SetArchive(sample);
    const absl::StatusOr<UnpackRecord> unpacked = Unpack(box, Xxh3_128Hex(sample), size);
    EXPECT_TRUE(absl::IsDataLoss(unpacked.status())) << unpacked.status();
    EXPECT_TRUE(absl::StrContains(unpacked.status().message(), "bytes, expected")) << unpacked.status();
    EXPECT_EQ(box.Changes(), "");
  }
}

TEST(UnpackTest, Garbage) {
  std::vector<std::string> inputs = {"", "x", std::string(511, 'a'), PseudoRandomBytes(512, 2),
                                     PseudoRandomBytes(1024, 3), PseudoRandomBytes(100000, 4),
                                     "\x1f\x8b\x08\x00 gzip header", "\x28\xb5\x2f\xfd zstd header"};
  std::string bad_checksum_header = std::string(512, '\0');
  bad_checksum_header.replace(0, 4, "file");
  bad_checksum_header.replace(257, 5, "ustar");
  inputs.push_back(bad_checksum_header + std::string(1024, '\0'));
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input.size());
    Sandbox box(true);
    box.SetArchive(input);
    const absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, input);
    EXPECT_FALSE(unpacked.ok());
    EXPECT_EQ(box.Changes(), "");
  }
  // A block of zeros ends an archive; what follows is checksummed but not read.
  Sandbox box(true);
  const std::string empty = std::string(512, '\0') + PseudoRandomBytes(512, 5);
  box.SetArchive(empty);
  const absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, empty);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_TRUE(unpacked->created.empty());
  EXPECT_EQ(box.Changes(), "");
}

TEST(UnpackTest, ExpectedChecksumSpelling) {
  const std::string sample = PackedSample();
  for (const std::string& hex : {std::string(""), std::string("xyz"), std::string(31, 'a'), std::string(33, 'a'),
                                 std::string(31, 'a') + "g"}) {
    Sandbox box(false);
    box.SetArchive(sample);
    EXPECT_TRUE(absl::IsInvalidArgument(Unpack(box, hex, sample.size()).status())) << hex;
    EXPECT_EQ(box.Changes(), "");
  }
  Sandbox box(false);
  box.SetArchive(sample);
  const absl::StatusOr<UnpackRecord> unpacked = Unpack(box, absl::AsciiStrToUpper(Xxh3_128Hex(sample)), sample.size());
  EXPECT_TRUE(unpacked.ok()) << unpacked.status();
}

TEST(UnpackTest, ArchiveAndUpperdirMustBeWhatTheySay) {
  const std::string sample = PackedSample();
  Sandbox box(false);
  box.SetArchive(sample);
  const std::string hex = Xxh3_128Hex(sample);
  // The archive through a symlink, or not a regular file.
  TARDIS_ASSERT_OK(Sys(::symlink(box.archive.c_str(), (box.root() + "/archive_link").c_str()), "symlink"));
  EXPECT_FALSE(UnpackIntoUpperdir(box.root() + "/archive_link", box.upper, hex, sample.size()).ok());
  EXPECT_FALSE(UnpackIntoUpperdir(box.sentinel, box.upper, hex, sample.size()).ok());
  // The upperdir missing, a file, or a symlink (to the sentinel).
  EXPECT_TRUE(absl::IsNotFound(UnpackIntoUpperdir(box.archive, box.root() + "/none", hex, sample.size()).status()));
  EXPECT_FALSE(UnpackIntoUpperdir(box.archive, box.archive, hex, sample.size()).ok());
  TARDIS_ASSERT_OK(Sys(::symlink(box.sentinel.c_str(), (box.root() + "/upper_link").c_str()), "symlink"));
  EXPECT_FALSE(UnpackIntoUpperdir(box.archive, box.root() + "/upper_link", hex, sample.size()).ok());
  TARDIS_ASSERT_OK(Sys(::unlink((box.root() + "/archive_link").c_str()), "unlink"));
  TARDIS_ASSERT_OK(Sys(::unlink((box.root() + "/upper_link").c_str()), "unlink"));
  EXPECT_EQ(box.Changes(), "");
}

// Beside entries that were there before: those stay as they are, through unpack and rollback.
TEST(UnpackTest, PrepopulatedUpperdirAndRollback) {
  Sandbox box(true);
  absl::StatusOr<Tree> before = Snapshot(box.upper);
  ASSERT_TRUE(before.ok());
  const std::string sample = PackedSample();
  box.SetArchive(sample);
  absl::StatusOr<UnpackRecord> unpacked = Unpack(box, Xxh3_128Hex(sample), sample.size());
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  std::vector<std::string> created = unpacked->created;
  std::sort(created.begin(), created.end());
  EXPECT_EQ(Join(created), "d\nd/bigger\nd/small\ne\ne/last\nhard\nsym\nwh");
  absl::StatusOr<Tree> after = Snapshot(box.upper);
  ASSERT_TRUE(after.ok());
  for (const auto& [path, node] : *before) {
    if (path.empty()) continue;  // the upperdir itself gained entries
    Tree want = {{path, node}};
    Tree got = {{path, after->at(path)}};
    EXPECT_EQ(Join(DiffTrees(want, got)), "") << path;
  }
  EXPECT_EQ(after->at("hard").link_group, after->at("d/small").link_group);
  EXPECT_EQ(after->at("d").xattrs.at("trusted.overlay.opaque"), "y");
  TARDIS_ASSERT_OK(RollbackUnpack(box.upper, *unpacked));
  EXPECT_EQ(box.Changes(), "");
}

// An image over its budget (restore_max_entries, restore_max_bytes or the upperdir's
// free space) is refused before the entry that would exceed it is written, and what came
// before is rolled back. The sample has 8 entries and 20005 bytes of file contents
// (d/bigger 20000 before d/small 5, in the packer's order).
TEST(UnpackTest, AnImageOverBudgetIsRefusedBeforeItIsWritten) {
  const std::string sample = PackedSample();
  struct Case {
    UnpackBudget budget;
    bool ok;
    std::string error;
  };
  const Case cases[] = {
      {{UINT64_MAX, 8}, true, ""},
      {{UINT64_MAX, 7}, false, "the image has more than 7 entries (restore_max_entries)"},
      {{UINT64_MAX, 1}, false, "the image has more than 1 entries"},
      {{20009, UINT64_MAX}, true, ""},
      {{20008, UINT64_MAX}, false, "the image holds more than 20008 bytes of files"},
      {{19999, UINT64_MAX}, false, "the image holds more than 19999 bytes of files"},
      {{0, UINT64_MAX}, false, "the image holds more than 0 bytes"},
  };
  for (const Case& c : cases) {
    Sandbox box(true);
    box.SetArchive(sample);
    absl::StatusOr<UnpackRecord> unpacked =
        UnpackIntoUpperdir(box.archive, box.upper, Xxh3_128Hex(sample), sample.size(), c.budget);
    EXPECT_EQ(unpacked.ok(), c.ok) << c.budget.max_bytes << "/" << c.budget.max_entries << ": "
                                   << unpacked.status();
    if (!c.ok) {
      EXPECT_TRUE(absl::IsResourceExhausted(unpacked.status())) << unpacked.status();
      EXPECT_TRUE(absl::StrContains(unpacked.status().message(), c.error)) << unpacked.status();
      EXPECT_EQ(box.Changes(), "") << "rolled back";
    }
  }
}

// An unpack killed mid-way (here: by SIGXFSZ, a file-size limit smaller than the
// image's second file, in a child process) leaves the upperdir exactly as it was: the
// extraction happens in a stage beside it. The next unpack removes the stage's leftovers.
TEST(UnpackTest, AnUnpackKilledMidWayLeavesTheUpperdirAsItWas) {
  ScopedTempDir tmp;
  const std::string root = tmp / "root";
  ASSERT_TRUE(MakeDir(root).ok());
  ASSERT_TRUE(WriteNewFile(root + "/a-small", "small").ok());
  ASSERT_TRUE(WriteNewFile(root + "/b-big", PseudoRandomBytes(3 << 20, 7)).ok());
  absl::StatusOr<PackResult> packed = PackUpperdir(root, tmp / "image.tar");
  ASSERT_TRUE(packed.ok()) << packed.status();
  absl::StatusOr<std::string> bytes = ReadWholeFile(tmp / "image.tar");
  ASSERT_TRUE(bytes.ok());

  Sandbox box(true);
  box.SetArchive(*bytes);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // SIGXFSZ dumps core by default
    const struct rlimit limit = {1 << 20, 1 << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    (void)UnpackIntoUpperdir(box.archive, box.upper, packed->xxh3_128_hex, packed->bytes);
    ::_exit(0);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGXFSZ) << "status " << wait_status;
  const std::string changes = box.Changes();
  EXPECT_TRUE(absl::StrContains(changes, ".tardis-unpack.")) << "the killed unpack's stage: " << changes;
  EXPECT_FALSE(absl::StrContains(changes, "upper/")) << "the upperdir was touched: " << changes;

  absl::StatusOr<UnpackRecord> unpacked =
      UnpackIntoUpperdir(box.archive, box.upper, packed->xxh3_128_hex, packed->bytes);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_FALSE(absl::StrContains(box.Changes(), ".tardis-unpack.")) << box.Changes();
  TARDIS_ASSERT_OK(RollbackUnpack(box.upper, *unpacked));
  EXPECT_EQ(box.Changes(), "");
}

TEST(UnpackBudgetTest, TheHostsCapsAndNineTenthsOfTheFreeSpace) {
  EXPECT_EQ(DecideUnpackBudget(1000, 5, 10000).max_bytes, 1000u);
  EXPECT_EQ(DecideUnpackBudget(100000, 5, 10000).max_bytes, 9000u);
  EXPECT_EQ(DecideUnpackBudget(100000, 5, 10000).max_entries, 5u);
  EXPECT_EQ(DecideUnpackBudget(UINT64_MAX, 5, UINT64_MAX).max_bytes, UINT64_MAX / 10 * 9);
  EXPECT_EQ(DecideUnpackBudget(UINT64_MAX, 5, 0).max_bytes, 0u);
  BudgetMeter meter({10, 3});
  EXPECT_TRUE(meter.Charge(4).ok());
  EXPECT_TRUE(meter.Charge(6).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(meter.Charge(1)));  // 11 bytes > 10
  BudgetMeter huge({UINT64_MAX - 1, 10});
  EXPECT_TRUE(huge.Charge(UINT64_MAX - 2).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(huge.Charge(2))) << "no overflow past the cap";
}

// A hardlink to a symlink the archive made links the symlink itself (link(2) does not
// follow), and whiteouts and FIFOs may be hardlinked: overlayfs shares whiteout inodes.
TEST(UnpackTest, LinksThatStayInside) {
  Sandbox box(false);
  absl::StatusOr<std::string> tar = BuildTar(absl::StrCat("symlink s ", box.sentinel,
                                                          "/secret | hardlink h s | chardev w 0 0 | hardlink w2 w | "
                                                          "fifo p | hardlink p2 p"));
  ASSERT_TRUE(tar.ok()) << tar.status();
  box.SetArchive(*tar);
  absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, *tar);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  struct stat s, h, w, w2;
  ASSERT_EQ(::lstat((box.upper + "/s").c_str(), &s), 0);
  ASSERT_EQ(::lstat((box.upper + "/h").c_str(), &h), 0);
  EXPECT_TRUE(S_ISLNK(h.st_mode));
  EXPECT_EQ(s.st_ino, h.st_ino);
  ASSERT_EQ(::lstat((box.upper + "/w").c_str(), &w), 0);
  ASSERT_EQ(::lstat((box.upper + "/w2").c_str(), &w2), 0);
  EXPECT_TRUE(S_ISCHR(w2.st_mode));
  EXPECT_EQ(w2.st_rdev, makedev(0, 0));
  EXPECT_EQ(w.st_ino, w2.st_ino);
  absl::StatusOr<std::string> secret = ReadWholeFile(box.sentinel + "/secret");
  EXPECT_EQ(secret.value_or(""), "secret");
  TARDIS_ASSERT_OK(RollbackUnpack(box.upper, *unpacked));
  EXPECT_EQ(box.Changes(), "");
}

// A directory the unpack made, swapped for a symlink to the sentinel before the
// rollback: the rollback removes the symlink, not what it points at.
TEST(RollbackUnpackTest, NeverFollowsSymlinks) {
  Sandbox box(false);
  TARDIS_ASSERT_OK(WriteNewFile(box.sentinel + "/f", "not yours"));
  absl::StatusOr<std::string> tar = BuildTar("dir d | file d/f x | dir d/sub | file d/sub/secret y | file g y");
  ASSERT_TRUE(tar.ok());
  box.SetArchive(*tar);
  absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, *tar);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  absl::StatusOr<Tree> sentinel_before = Snapshot(box.sentinel);
  ASSERT_TRUE(sentinel_before.ok());
  TARDIS_ASSERT_OK(Sys(::rename((box.upper + "/d").c_str(), (box.upper + "/moved").c_str()), "rename"));
  TARDIS_ASSERT_OK(Sys(::symlink(box.sentinel.c_str(), (box.upper + "/d").c_str()), "symlink"));
  (void)RollbackUnpack(box.upper, *unpacked);
  absl::StatusOr<Tree> sentinel_after = Snapshot(box.sentinel);
  ASSERT_TRUE(sentinel_after.ok());
  EXPECT_EQ(Join(DiffTrees(*sentinel_before, *sentinel_after)), "");
  struct stat st;
  EXPECT_NE(::lstat((box.upper + "/g").c_str(), &st), 0);
  EXPECT_NE(::lstat((box.upper + "/d").c_str(), &st), 0) << "the symlink at a created path goes";
  EXPECT_EQ(::lstat((box.upper + "/moved/f").c_str(), &st), 0) << "the moved directory is not found again";
}

// A record handed back with names out of the upperdir touches nothing out there.
TEST(RollbackUnpackTest, RefusesNamesOutsideTheUpperdir) {
  Sandbox box(false);
  box.SetArchive("");
  UnpackRecord record;
  record.created = {"../sentinel/secret", box.sentinel + "/secret", "x/../../sentinel/sub/deeper", "../sentinel",
                    "", "."};
  const absl::Status status = RollbackUnpack(box.upper, record);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(box.Changes(), "");
}

// What the restored container added meanwhile stays, and is reported.
TEST(RollbackUnpackTest, KeepsWhatOthersAdded) {
  Sandbox box(false);
  absl::StatusOr<std::string> tar = BuildTar("dir d | file d/f x");
  ASSERT_TRUE(tar.ok());
  box.SetArchive(*tar);
  absl::StatusOr<UnpackRecord> unpacked = UnpackWithOwnChecksum(box, *tar);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  TARDIS_ASSERT_OK(WriteNewFile(box.upper + "/d/added", "mine"));
  const absl::Status status = RollbackUnpack(box.upper, *unpacked);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "\"d\"")) << status;
  struct stat st;
  EXPECT_EQ(::lstat((box.upper + "/d/added").c_str(), &st), 0);
  EXPECT_NE(::lstat((box.upper + "/d/f").c_str(), &st), 0);
  // Entries already gone are fine.
  TARDIS_ASSERT_OK(Sys(::unlink((box.upper + "/d/added").c_str()), "unlink"));
  TARDIS_ASSERT_OK(RollbackUnpack(box.upper, *unpacked));
  EXPECT_EQ(box.Changes(), "");
}

// libarchive works relative to the working directory; callers never see it move.
TEST(UnpackTest, WorkingDirectoryIsKept) {
  Sandbox box(false);
  const std::string sample = PackedSample();
  box.SetArchive(sample);
  char before[4096];
  ASSERT_NE(::getcwd(before, sizeof before), nullptr);
  ASSERT_EQ(::chdir(box.sentinel.c_str()), 0);
  const absl::StatusOr<UnpackRecord> bad = Unpack(box, Xxh3_128Hex("other"), sample.size());
  char after_failure[4096];
  EXPECT_NE(::getcwd(after_failure, sizeof after_failure), nullptr);
  const absl::StatusOr<UnpackRecord> good = Unpack(box, Xxh3_128Hex(sample), sample.size());
  char after_success[4096];
  EXPECT_NE(::getcwd(after_success, sizeof after_success), nullptr);
  const absl::StatusOr<PackResult> packed = PackUpperdir("../upper", "../again.tar");
  char after_pack[4096];
  EXPECT_NE(::getcwd(after_pack, sizeof after_pack), nullptr);
  ASSERT_EQ(::chdir(before), 0);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(std::string(after_failure), box.sentinel);
  EXPECT_EQ(std::string(after_success), box.sentinel);
  EXPECT_EQ(std::string(after_pack), box.sentinel);
}

}  // namespace
}  // namespace tardis::archive
