#include "tardis/runtime/real_runc.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

namespace tardis {
namespace {

TEST(RealRuncTest, RefusesToBeItself) {
  const std::string self = absl::StrCat(::testing::TempDir(), "/self");
  ASSERT_EQ(::symlink("/proc/self/exe", self.c_str()), 0);
  const auto runc = RealRunc::Find(self);
  EXPECT_TRUE(absl::IsFailedPrecondition(runc.status())) << runc.status();
}

TEST(RealRuncTest, MissingRuncIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(RealRunc::Find("/nonexistent/runc").status()));
  EXPECT_TRUE(absl::IsNotFound(RealRunc::Find("no-such-runc-in-path").status()));
}

TEST(RealRuncTest, RunsAndQueries) {
  const std::string fake = absl::StrCat(::testing::TempDir(), "/fake-runc");
  std::ofstream(fake) << "#!/bin/sh\necho \"$@\"\nexit 3\n";
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  const auto runc = RealRunc::Find(fake);
  ASSERT_TRUE(runc.ok()) << runc.status();
  const auto query = runc->Query({"state", "c1"});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->stdout_text, "state c1\n");
  EXPECT_EQ(query->exit_code, 3);
}

TEST(RealRuncTest, RunPassesTheEnvironmentGiven) {
  const std::string seen = absl::StrCat(::testing::TempDir(), "/seen-env");
  const std::string fake = absl::StrCat(::testing::TempDir(), "/env-runc");
  std::ofstream(fake) << "#!/bin/sh\necho \"${TARDIS_TEST_VAR-unset}\" >" << seen << "\n";
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  const auto runc = RealRunc::Find(fake);
  ASSERT_TRUE(runc.ok()) << runc.status();
  const auto read_seen = [&] {
    std::ifstream in(seen);
    std::string line;
    std::getline(in, line);
    return line;
  };

  ASSERT_TRUE(runc->Run({"checkpoint", "c1"}).ok());
  EXPECT_EQ(read_seen(), "unset");
  const std::vector<std::string> environment = {"PATH=/usr/bin:/bin", "TARDIS_TEST_VAR=given"};
  ASSERT_TRUE(runc->Run({"checkpoint", "c1"}, &environment).ok());
  EXPECT_EQ(read_seen(), "given");
}

}  // namespace
}  // namespace tardis
