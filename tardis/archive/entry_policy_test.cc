// Golden, table-driven test of CheckEntry(): which archive entries may be extracted.
#include <sys/stat.h>

#include <string>

#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

#include "tardis/archive/entry_policy.h"
#include "tardis/testing/golden.h"

namespace tardis::archive {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;

constexpr char kGolden[] = "testdata/archive/entry_policy.golden";

std::string Unescaped(const GoldenCase& c, const std::string& key) {
  std::string out;
  EXPECT_TRUE(absl::CUnescape(c[key], &out)) << "entry_policy.golden:" << c.line << ": " << key;
  return out;
}

mode_t FileType(const GoldenCase& c) {
  const std::string& type = c["type"];
  if (type == "file") return S_IFREG;
  if (type == "dir") return S_IFDIR;
  if (type == "symlink") return S_IFLNK;
  if (type == "fifo") return S_IFIFO;
  if (type == "chr") return S_IFCHR;
  if (type == "blk") return S_IFBLK;
  if (type == "sock") return S_IFSOCK;
  if (type == "none") return 0;
  unsigned int bits = 0;
  EXPECT_TRUE(absl::numbers_internal::safe_strtou32_base(type, &bits, 8))
      << "entry_policy.golden:" << c.line << ": type " << type;
  return static_cast<mode_t>(bits);
}

std::string Outcome(const absl::StatusOr<CheckedEntry>& checked) {
  if (!checked.ok()) return absl::StrCat("error: ", checked.status().ToString());
  return DescribeCheckedEntry(*checked);
}

TEST(EntryPolicyTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(kGolden);
  ASSERT_GT(cases.size(), 50u);
  for (const GoldenCase& c : cases) {
    // The views in EntryFacts point into these.
    const std::string path = Unescaped(c, "path");
    const std::string hardlink = Unescaped(c, "hardlink");
    const std::string symlink = Unescaped(c, "symlink");
    EntryFacts facts;
    facts.path = path;
    facts.file_type = FileType(c);
    if (c.has("hardlink")) facts.hardlink = hardlink;
    if (c.has("symlink")) facts.symlink = symlink;
    if (c.has("size")) {
      EXPECT_TRUE(absl::SimpleAtoi(c["size"], &facts.size)) << "entry_policy.golden:" << c.line;
    }
    if (c.has("rdev")) {
      std::vector<std::string> numbers = absl::StrSplit(c["rdev"], ':');
      ASSERT_EQ(numbers.size(), 2u) << "entry_policy.golden:" << c.line;
      EXPECT_TRUE(absl::SimpleAtoi(numbers[0], &facts.rdev_major));
      EXPECT_TRUE(absl::SimpleAtoi(numbers[1], &facts.rdev_minor));
    }
    EXPECT_EQ(Outcome(CheckEntry(facts)), c["want"]) << "entry_policy.golden:" << c.line;
  }
}

// Lengths are cut at kMaxEntryPathBytes, for the path and for a hardlink's target.
TEST(EntryPolicyTest, PathLength) {
  const std::string longest = std::string(kMaxEntryPathBytes - 2, 'a') + "/b";
  const std::string too_long = longest + "c";
  EntryFacts facts;
  facts.file_type = S_IFREG;
  facts.path = longest;
  EXPECT_TRUE(CheckEntry(facts).ok());
  facts.path = too_long;
  EXPECT_EQ(CheckEntry(facts).status().message(), "path of 4097 bytes is longer than 4096");
  // A directory's trailing "/" does not count.
  const std::string dir = longest + "/";
  facts.path = dir;
  facts.file_type = S_IFDIR;
  EXPECT_TRUE(CheckEntry(facts).ok());
  facts.path = "b";
  facts.file_type = S_IFREG;
  facts.hardlink = too_long;
  EXPECT_FALSE(CheckEntry(facts).ok());
  facts.hardlink = longest;
  ASSERT_TRUE(CheckEntry(facts).ok());
  EXPECT_EQ(CheckEntry(facts)->hardlink_target, longest);
}

// Messages quote the archive's names: a name cannot break a log line, and a long one is cut.
TEST(EntryPolicyTest, MessagesQuoteNames) {
  const std::string name = "/\nforged log line" + std::string(1000, 'x');
  EntryFacts facts;
  facts.path = name;
  facts.file_type = S_IFREG;
  const absl::Status status = CheckEntry(facts).status();
  EXPECT_EQ(status.message().find('\n'), absl::string_view::npos);
  EXPECT_LT(status.message().size(), 400u);
}

}  // namespace
}  // namespace tardis::archive
