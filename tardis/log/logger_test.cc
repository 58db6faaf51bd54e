#include "tardis/log/logger.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

namespace tardis {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LoggerTest, WritesOnlyAtOrAboveTheThresholdAndCreatesTheDirectory) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/deep/er/tardis.log");
  {
    Logger log("tardis-test", path, LogLevel::kInfo);
    log.Debug("hidden");
    log.Info("shown ", 42);
    log.Error("two\nlines");
  }
  const std::vector<std::string> lines = absl::StrSplit(Slurp(path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" INFO tardis-test["), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("] shown 42"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" ERROR "), std::string::npos);
  EXPECT_NE(lines[1].find("two\\nlines"), std::string::npos) << lines[1];
}

TEST(LoggerTest, NothingBelowThresholdMeansNoFile) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/quiet.log");
  {
    Logger log("tardis-test", path, LogLevel::kError);
    log.Warning("not written");
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(LoggerTest, UnwritableLogIsHarmless) {
  const std::string unwritable = "/proc/version/cannot/log/here";
  Logger log("tardis-test", unwritable, LogLevel::kDebug);
  EXPECT_NO_THROW(log.Error("dropped"));
  EXPECT_NO_THROW(log.Error("dropped again"));  // a failed write does not spoil the next
  EXPECT_NE(::access(unwritable.c_str(), F_OK), 0);
  // The process goes on logging elsewhere: one unwritable log is not a broken logger.
  const std::string path = absl::StrCat(::testing::TempDir(), "/after-unwritable.log");
  {
    Logger other("tardis-test", path, LogLevel::kDebug);
    other.Error("kept");
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find("kept"), std::string::npos) << line;
}

TEST(LoggerTest, ConcurrentWritersNeverInterleaveLines) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/concurrent.log");
  constexpr int kWriters = 8, kLines = 200;
  for (int w = 0; w < kWriters; ++w) {
    if (::fork() == 0) {
      Logger log("w", path, LogLevel::kInfo);
      for (int i = 0; i < kLines; ++i) log.Info(std::string(300, static_cast<char>('a' + w)));
      ::_exit(0);
    }
  }
  for (int w = 0; w < kWriters; ++w) ::wait(nullptr);
  const std::vector<std::string> lines = absl::StrSplit(Slurp(path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kWriters * kLines));
  for (const std::string& line : lines) {
    const std::string body = line.substr(line.rfind(' ') + 1);
    EXPECT_EQ(body, std::string(300, body[0])) << line;
  }
}

}  // namespace
}  // namespace tardis
