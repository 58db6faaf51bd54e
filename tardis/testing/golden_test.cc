#include "tardis/testing/golden.h"

#include <fstream>
#include <string>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

namespace tardis::testing {
namespace {

std::string WriteGolden(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(GoldenTest, AKeyNoCaseReadsFailsTheRun) {
  const std::string path = WriteGolden("typo.golden", "in: 1\nwant: 1\n\nin: 2\nwnat: 2\n");
  const std::vector<GoldenCase> cases = ReadGoldenCases(path);
  ASSERT_EQ(cases.size(), 2u);
  for (const GoldenCase& c : cases) (void)c["in"], (void)c["want"];
  golden_internal::UnknownKeysFail check;
  EXPECT_NONFATAL_FAILURE(check.TearDown(), "no test reads `wnat:`");
  (void)cases[1].all();  // leaves the run itself green
  check.TearDown();
}

TEST(GoldenTest, AKeyOneCaseLeavesUnreadIsKnown) {
  const std::string path = WriteGolden("partial.golden", "in: ok\nwant: 1\n\nin: refused\nwant: 2\n");
  for (const GoldenCase& c : ReadGoldenCases(path)) {
    if (c["in"] == "ok") (void)c["want"];
  }
  golden_internal::UnknownKeysFail().TearDown();  // no failure
}

TEST(GoldenTest, UpdateModeWritesAndFails) {
  const std::string dir = ::testing::TempDir();
  WriteGolden("want.txt", "old");
  ASSERT_EQ(::setenv("TARDIS_UPDATE_GOLDEN", (dir + "/update").c_str(), 1), 0);
  ASSERT_EQ(::system(("mkdir -p " + dir + "/update").c_str()), 0);
  EXPECT_NONFATAL_FAILURE(ExpectGoldenFile("new", dir, "want.txt"), "update mode");
  ::unsetenv("TARDIS_UPDATE_GOLDEN");
  EXPECT_EQ(ReadTestFile(dir + "/update/want.txt"), "new");
  ExpectGoldenFile("old", dir, "want.txt");  // without it, a plain comparison
}

}  // namespace
}  // namespace tardis::testing
