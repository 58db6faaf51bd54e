#include "tardis/listener/listener_lock.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/file.h>

#include <string>
#include <thread>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

namespace tardis {
namespace {

TEST(ListenerLockTest, OneHolderAndLivenessFollowsIt) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/lock-", ::getpid());
  EXPECT_FALSE(ListenerAlive(dir)) << "nothing has ever run here";
  {
    absl::StatusOr<ListenerLock> lock = ListenerLock::Acquire(dir);
    ASSERT_TRUE(lock.ok()) << lock.status();
    EXPECT_TRUE(ListenerAlive(dir));
    // A second listener in another process is refused.
    const pid_t other = ::fork();
    if (other == 0) ::_exit(absl::IsAlreadyExists(ListenerLock::Acquire(dir).status()) ? 0 : 1);
    int status = 0;
    ::waitpid(other, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EXPECT_FALSE(ListenerAlive(dir));
}

TEST(ListenerLockTest, AKilledListenerIsNotAlive) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/killed-", ::getpid());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t listener = ::fork();
  if (listener == 0) {
    absl::StatusOr<ListenerLock> lock = ListenerLock::Acquire(dir);
    (void)!::write(ready[1], lock.ok() ? "y" : "n", 1);
    ::pause();
    ::_exit(0);
  }
  char answer = 0;
  ASSERT_EQ(::read(ready[0], &answer, 1), 1);
  ASSERT_EQ(answer, 'y');
  EXPECT_TRUE(ListenerAlive(dir));
  ::kill(listener, SIGKILL);
  ::waitpid(listener, nullptr, 0);
  EXPECT_FALSE(ListenerAlive(dir));
  EXPECT_TRUE(ListenerLock::Acquire(dir).ok());
}

// A liveness probe (a shared lock, held for an instant) at the moment a listener starts
// must not make it give up with none running.
TEST(ListenerLockTest, AProbeDoesNotTurnAStartingListenerAway) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/probed-", ::getpid());
  { ASSERT_TRUE(ListenerLock::Acquire(dir).ok()); }  // the lock file exists
  const int probe = ::open(ListenerLockPath(dir).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(probe, 0);
  ASSERT_EQ(::flock(probe, LOCK_SH | LOCK_NB), 0);
  // Held far longer than any probe; the listener waits it out.
  std::thread release([probe] {
    ::usleep(50 * 1000);
    ::close(probe);
  });
  absl::StatusOr<ListenerLock> lock = ListenerLock::Acquire(dir, /*probe_wait_ms=*/60 * 1000);
  release.join();
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(ListenerAlive(dir));
}

TEST(ListenerLockTest, ASharedLockThatStaysIsReportedNotMistakenForAListener) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/shared-", ::getpid());
  { ASSERT_TRUE(ListenerLock::Acquire(dir).ok()); }
  const int holder = ::open(ListenerLockPath(dir).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(holder, 0);
  ASSERT_EQ(::flock(holder, LOCK_SH | LOCK_NB), 0);
  const absl::Status status = ListenerLock::Acquire(dir, /*probe_wait_ms=*/20).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  ::close(holder);
}

}  // namespace
}  // namespace tardis
