// HandDumpToCaller and ShareDumpWithCaller on a CRIU dir in a temp dir: the regular files
// go to the caller's --image-path, and a CRIU dir that cannot be listed whole (missing, a
// symlink) hands over nothing.
#include "tardis/image/dump_handover.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/runc/classify.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/files.h"
#include "tardis/sys/remove_tree.h"

namespace tardis {
namespace {

// The sorted names in `dir`; none when it cannot be listed.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  (void)ForEachDirectoryEntry(dir, [&names](const DirectoryEntry& entry) { names.emplace_back(entry.name()); });
  std::sort(names.begin(), names.end());
  return names;
}

// CRIU's files, and what CRIU never writes (a symlink, a subdirectory), which stays.
void MakeDump(const std::string& dir) {
  ASSERT_TRUE(MakeDirectories(dir + "/sub", 0700).ok());
  for (const char* name : {"dump.log", "pages-1.img"}) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(dir, "/", name), name, 0600).ok());
  }
  ASSERT_EQ(::symlink("/etc/passwd", (dir + "/evil.img").c_str()), 0);
}

TEST(DumpHandoverTest, RegularFilesGoToTheCallerAndAnUnlistableDumpNothing) {
  using Make = std::function<void(const std::string&)>;
  using Hand = std::function<absl::StatusOr<std::string>(const std::string&, const runc::Invocation&)>;
  const Make linked = [](const std::string& dir) {
    MakeDump(dir + ".target");
    ASSERT_EQ(::symlink((dir + ".target").c_str(), dir.c_str()), 0);
  };
  const std::vector<std::string> all = {"dump.log", "evil.img", "pages-1.img", "sub"};
  const std::vector<std::string> files = {"dump.log", "pages-1.img"};
  const std::vector<std::string> none = {};
  struct Case {
    const char* name;
    Make make;
    Hand hand;
    absl::StatusCode code;
    std::vector<std::string> placed, left;
  };
  const std::vector<Case> cases = {
      {"moved", MakeDump, HandDumpToCaller, absl::StatusCode::kOk, files, {"evil.img", "sub"}},
      {"shared", MakeDump, ShareDumpWithCaller, absl::StatusCode::kOk, files, all},
      {"missing", [](const std::string&) {}, HandDumpToCaller, absl::StatusCode::kNotFound, none, none},
      {"a symlink to a dump, not followed", linked, HandDumpToCaller, absl::StatusCode::kInternal, none, none},
  };
  const std::string top = absl::StrCat(::testing::TempDir(), "/handover-", ::getpid());
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string criu = absl::StrCat(top, "/", i, "/criu");
    const std::string callers = absl::StrCat(top, "/", i, "/callers");
    ASSERT_TRUE(MakeDirectories(absl::StrCat(top, "/", i), 0700).ok());
    cases[i].make(criu);
    const runc::Invocation call = runc::Classify(std::vector<std::string>{"checkpoint", "--image-path", callers, "c1"});
    const absl::StatusOr<std::string> placed = cases[i].hand(criu, call);
    EXPECT_EQ(placed.status().code(), cases[i].code) << cases[i].name << ": " << placed.status();
    if (placed.ok()) {
      EXPECT_EQ(*placed, callers) << cases[i].name;
    }
    EXPECT_EQ(Names(callers), cases[i].placed) << cases[i].name;
    EXPECT_EQ(Names(criu), cases[i].left) << cases[i].name;
  }
  EXPECT_EQ(Names(absl::StrCat(top, "/3/criu.target")), all) << "the linked dump stays where it is";
  EXPECT_TRUE(RemoveTree(top).ok());
}

}  // namespace
}  // namespace tardis
