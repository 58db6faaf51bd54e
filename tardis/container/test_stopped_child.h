// Test support: a child process stopped by its own SIGSTOP, as CRIU leaves a restored
// task it holds, killed and reaped when the test ends.
#ifndef TARDIS_CONTAINER_TEST_STOPPED_CHILD_H_
#define TARDIS_CONTAINER_TEST_STOPPED_CHILD_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tardis::container::testing {

class StoppedChild {
 public:
  StoppedChild() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::raise(SIGSTOP);
      ::pause();
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid_, &status, WUNTRACED);
  }
  ~StoppedChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  StoppedChild(const StoppedChild&) = delete;
  StoppedChild& operator=(const StoppedChild&) = delete;

  int pid() const { return pid_; }
  // Whether it was continued since it stopped (reported once).
  bool Continued() const {
    int status = 0;
    return ::waitpid(pid_, &status, WCONTINUED | WNOHANG) == pid_ && WIFCONTINUED(status);
  }

 private:
  int pid_ = -1;
};

}  // namespace tardis::container::testing

#endif  // TARDIS_CONTAINER_TEST_STOPPED_CHILD_H_
