// tardisctl's --help, as built: its own and each command's, generated from the commands'
// option specs, against testdata/tardisctl/help.txt (TARDIS_UPDATE_GOLDEN=<dir>: written
// there, and the test fails; tardis/testing/golden.h).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/sys/exec.h"
#include "tardis/testing/golden.h"

namespace tardis {
namespace {

TEST(TardisctlHelp, Golden) {
  const std::vector<std::vector<std::string>> calls = {
      {"--help"},
      {"finalize", "--help"},
      {"status", "--help"},
      {"install", "--help"},
      {"uninstall", "--help"},
      {"log", "--help"},
      {"watch", "--help"},
      {"gc", "--help"},
  };
  std::string text;
  for (const std::vector<std::string>& args : calls) {
    const std::string call = absl::StrCat("tardisctl ", absl::StrJoin(args, " "));
    const absl::StatusOr<Captured> ran = RunCaptured("cmd/tardisctl", args);
    ASSERT_TRUE(ran.ok()) << call << ": " << ran.status();
    EXPECT_EQ(ran->exit_code, 0) << call << ": " << ran->err;
    absl::StrAppend(&text, "$ ", call, "\n", ran->out);
  }
  tardis::testing::ExpectGoldenFile(text, "testdata/tardisctl", "help.txt");
}

}  // namespace
}  // namespace tardis
