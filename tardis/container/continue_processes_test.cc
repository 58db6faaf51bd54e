// ContinueContainerProcesses on real stopped processes (children of the test), with a
// /proc of the test's making to say which pid namespace each is in.
#include "tardis/container/continue_processes.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/container/test_stopped_child.h"

namespace tardis::container {
namespace {

using testing::StoppedChild;

// <dir>/<pid>/ns/pid -> "pid:[<ns>]" for each entry.
std::string FakeProc(const std::map<std::string, int>& namespace_of) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/proc-", ::getpid(), "-", namespace_of.size());
  ::mkdir(dir.c_str(), 0700);
  for (const auto& [pid, ns] : namespace_of) {
    ::mkdir(absl::StrCat(dir, "/", pid).c_str(), 0700);
    ::mkdir(absl::StrCat(dir, "/", pid, "/ns").c_str(), 0700);
    EXPECT_EQ(::symlink(absl::StrCat("pid:[", ns, "]").c_str(), absl::StrCat(dir, "/", pid, "/ns/pid").c_str()), 0);
  }
  return dir;
}

TEST(ContinueContainerProcessesTest, InItsOwnPidNamespaceEveryProcessThereAndNoOther) {
  StoppedChild init, worker, stranger;
  const std::string proc = FakeProc({{"self", 1},
                                     {absl::StrCat(init.pid()), 2},
                                     {absl::StrCat(worker.pid()), 2},
                                     {absl::StrCat(stranger.pid()), 1},
                                     {"not-a-pid", 2}});
  absl::StatusOr<int> continued = ContinueContainerProcesses(init.pid(), proc);
  ASSERT_TRUE(continued.ok()) << continued.status();
  EXPECT_EQ(*continued, 2);
  EXPECT_TRUE(init.Continued());
  EXPECT_TRUE(worker.Continued());
  EXPECT_FALSE(stranger.Continued());
}

TEST(ContinueContainerProcessesTest, InThisProgramsPidNamespaceInitAlone) {
  StoppedChild init, other;
  absl::StatusOr<int> continued = ContinueContainerProcesses(init.pid());  // the real /proc
  ASSERT_TRUE(continued.ok()) << continued.status();
  EXPECT_EQ(*continued, 1);
  EXPECT_TRUE(init.Continued());
  EXPECT_FALSE(other.Continued());
}

TEST(ContinueContainerProcessesTest, AnInitThatIsGoneIsAnError) {
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  EXPECT_FALSE(ContinueContainerProcesses(gone).ok());
}

}  // namespace
}  // namespace tardis::container
