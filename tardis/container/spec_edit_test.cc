// Golden, table-driven tests of AddWorkdirMount().
#include "tardis/container/spec_edit.h"

#include <string>
#include <vector>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tardis/container/opt_in.h"
#include "tardis/testing/golden.h"

namespace tardis::container {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestFile;

constexpr char kReference[] = "testdata/reference/oci-config-containerd-1.6.20.json";

std::string Describe(const absl::StatusOr<std::string>& value) {
  return value.ok() ? *value : value.status().ToString();
}

TEST(AddWorkdirMountTest, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/container/spec_edit.golden");
  ASSERT_GE(cases.size(), 30u);
  for (const GoldenCase& c : cases) {
    const std::string config = c.has("config_file") ? ReadTestFile(c["config_file"]) : c["config"];
    std::string host_workdir =
        c.has("host_workdir") ? c["host_workdir"] : "/mnt/nfs/work/default/c1";
    ASSERT_TRUE(absl::CUnescape(host_workdir, &host_workdir)) << "spec_edit.golden:" << c.line;
    const std::string container_path = c.has("container_path") ? c["container_path"] : "/work";
    const std::string want =
        c.has("want_file")
            ? std::string(absl::StripTrailingAsciiWhitespace(ReadTestFile(c["want_file"])))
            : c["want"];
    EXPECT_EQ(Describe(AddWorkdirMount(config, host_workdir, container_path)), want)
        << "spec_edit.golden:" << c.line;
  }
}

// The reference spec, edited, is the original plus exactly the mount and the cwd.
TEST(AddWorkdirMountTest, ReferenceSpecChangesOnlyMountsAndCwd) {
  const std::string original = ReadTestFile(kReference);
  const absl::StatusOr<std::string> edited =
      AddWorkdirMount(original, "/mnt/nfs/work/default/cfg1", "/data/work");
  ASSERT_TRUE(edited.ok()) << edited.status();
  nlohmann::ordered_json want = nlohmann::ordered_json::parse(original);
  want["mounts"].push_back({{"destination", "/data/work"},
                            {"type", "bind"},
                            {"source", "/mnt/nfs/work/default/cfg1"},
                            {"options", {"rbind", "rw"}}});
  want["process"]["cwd"] = "/data/work";
  EXPECT_EQ(*edited, want.dump());
  // Compact, like containerd's, and what the container asks for is unchanged.
  EXPECT_EQ(edited->find('\n'), std::string::npos);
  EXPECT_EQ(edited->find(": "), std::string::npos);
  const absl::StatusOr<ContainerSettings> before = ReadContainerSettings(original);
  const absl::StatusOr<ContainerSettings> after = ReadContainerSettings(*edited);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(after->enabled, before->enabled);
  EXPECT_EQ(after->checkpoint_host_path, before->checkpoint_host_path);
}

// A second edit with the same mount is refused: it is already there.
TEST(AddWorkdirMountTest, EditingTwiceIsRefused) {
  const absl::StatusOr<std::string> once =
      AddWorkdirMount(ReadTestFile(kReference), "/mnt/nfs/work/default/cfg1", "/work");
  ASSERT_TRUE(once.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      AddWorkdirMount(*once, "/mnt/nfs/work/default/cfg1", "/work").status()));
}

TEST(AddWorkdirMountTest, RefusesHostileNestingWithoutCrashing) {
  const std::string deep = absl::StrCat(
      "{\"process\":{},\"annotations\":", std::string(200000, '['), std::string(200000, ']'), "}");
  EXPECT_EQ(Describe(AddWorkdirMount(deep, "/w", "/work")),
            "INVALID_ARGUMENT: config.json is nested deeper than 512 levels");
}

TEST(CleanInRootTest, ResolvesLexicallyWithinTheRoot) {
  using spec_edit_internal::CleanInRoot;
  EXPECT_EQ(CleanInRoot(""), "/");
  EXPECT_EQ(CleanInRoot("/"), "/");
  EXPECT_EQ(CleanInRoot("a/b"), "/a/b");
  EXPECT_EQ(CleanInRoot("/a/../../b/./c//"), "/b/c");
  EXPECT_EQ(CleanInRoot("../.."), "/");
}

TEST(IsValidUtf8Test, AcceptsUtf8Only) {
  using spec_edit_internal::IsValidUtf8;
  EXPECT_TRUE(IsValidUtf8("plain /path"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace tardis::container
