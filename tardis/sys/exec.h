// Running other programs: replacing this process (the pass-through path), or running a
// child (and waiting for it, at once or later) with stdio inherited, or stdout (and
// stderr) captured. The one process runner of Tardis: the handlers' runc and tardisctl's
// ctr and systemctl all start here.
#ifndef TARDIS_SYS_EXEC_H_
#define TARDIS_SYS_EXEC_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "tardis/sys/errno_status.h"

extern char** environ;

namespace tardis {

// The directories of $PATH in order, or of `fallback` when PATH is unset. An empty entry
// stays empty: what it means (the current directory, or nothing) is the caller's to say.
inline std::vector<std::string> PathDirectories(absl::string_view fallback) {
  const char* path = std::getenv("PATH");
  return absl::StrSplit(path != nullptr ? absl::string_view(path) : fallback, ':');
}

// `name` if it contains a slash; otherwise the first executable of that name in $PATH
// (as execvp would pick), or "" when there is none.
inline std::string ResolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  for (const std::string& dir : PathDirectories("/usr/bin:/bin")) {
    const std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// True when both paths name the same inode (following symlinks).
inline bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// exec(2) `path` with `argv` as given (argv[0] included); returns errno only on failure.
inline int ExecReplacing(const std::string& path, char* const argv[]) {
  ::execv(path.c_str(), argv);
  return errno;
}

// A child's end as one number, the way a shell reports it: its exit code, or 128 plus
// the signal that killed it.
inline int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

struct RunOptions {
  bool capture_stdout = false;  // otherwise stdout is inherited
  bool quiet_stderr = false;    // send the child's stderr to /dev/null
  bool capture_stderr = false;  // read it instead (wins over quiet_stderr)
  bool null_stdin = false;      // stdin from /dev/null; otherwise inherited
  const std::vector<std::string>* environment = nullptr;  // "NAME=value"s; null: ours
};

struct RunResult {
  int exit_code = 0;
  std::string stdout_text;  // when captured
  std::string stderr_text;  // when captured
};

// A program started by StartProgram. Waiting is not optional: a Child still running
// when it goes out of scope is waited for, so Tardis never leaves a zombie behind or
// returns while a runc it started is still at work.
class Child {
 public:
  Child(pid_t pid, int stdout_fd, int stderr_fd = -1) : pid_(pid), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd) {}
  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        stdout_fd_(std::exchange(other.stdout_fd_, -1)),
        stderr_fd_(std::exchange(other.stderr_fd_, -1)) {}
  Child& operator=(Child&&) = delete;
  ~Child() {
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
    if (pid_ > 0) (void)Wait();
  }

  pid_t pid() const { return pid_; }

  // What the child printed, to its end (only when started with capture_stdout).
  std::string ReadStdout() {
    std::string text;
    if (stdout_fd_ < 0) return text;
    char buffer[8192];
    while (true) {
      const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    ::close(std::exchange(stdout_fd_, -1));
    return text;
  }

  // Both captured streams to their ends, read together: reading one to its end first
  // would deadlock against a child that fills the other pipe meanwhile.
  void ReadOutputs(std::string* out, std::string* err) {
    struct pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    std::string* sinks[2] = {out, err};
    int open_count = (stdout_fd_ >= 0) + (stderr_fd_ >= 0);
    char buffer[8192];
    while (open_count > 0) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i].fd = -1;  // poll ignores negative descriptors
          --open_count;
          continue;
        }
        sinks[i]->append(buffer, static_cast<size_t>(n));
      }
    }
    if (stdout_fd_ >= 0) ::close(std::exchange(stdout_fd_, -1));
    if (stderr_fd_ >= 0) ::close(std::exchange(stderr_fd_, -1));
  }

  // Its end, or DeadlineExceeded once `timeout_ms` have passed: the child is then killed
  // (SIGKILL) and reaped, so nothing of it outlives the call.
  absl::StatusOr<int> WaitFor(int64_t timeout_ms) {
    if (pid_ <= 0) return absl::FailedPreconditionError("no child to wait for");
    // A pidfd wakes the wait the moment the child ends; without one (kernels before
    // 5.3), poll its status with a growing step.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    const int64_t deadline = MonotonicMs() + timeout_ms;
    int step_ms = 1;
    while (true) {
      int wait_status = 0;
      const pid_t ended = ::waitpid(pid_, &wait_status, WNOHANG);
      if (ended == pid_) {
        if (pidfd >= 0) ::close(pidfd);
        pid_ = -1;
        return ExitCodeOf(wait_status);
      }
      if (ended < 0 && errno != EINTR) {
        const int error = errno;
        if (pidfd >= 0) ::close(pidfd);
        return ErrnoStatus(error, absl::StrCat("wait for child ", std::exchange(pid_, -1)));
      }
      const int64_t left = deadline - MonotonicMs();
      if (left <= 0) break;
      if (pidfd >= 0) {
        struct pollfd ready = {pidfd, POLLIN, 0};
        (void)::poll(&ready, 1, static_cast<int>(std::min<int64_t>(left, 60000)));
      } else {
        ::usleep(static_cast<useconds_t>(std::min<int64_t>(left, step_ms)) * 1000);
        step_ms = std::min(step_ms * 2, 50);
      }
    }
    if (pidfd >= 0) ::close(pidfd);
    const pid_t pid = pid_;
    ::kill(pid, SIGKILL);
    (void)Wait();
    return absl::DeadlineExceededError(absl::StrCat("pid ", pid, " still ran after ", timeout_ms, " ms; killed"));
  }

  // Its end, as ExitCodeOf() tells it.
  absl::StatusOr<int> Wait() {
    if (pid_ <= 0) return absl::FailedPreconditionError("no child to wait for");
    int wait_status = 0;
    while (::waitpid(pid_, &wait_status, 0) < 0) {
      if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("wait for child ", std::exchange(pid_, -1)));
    }
    pid_ = -1;
    return ExitCodeOf(wait_status);
  }

 private:
  static int64_t MonotonicMs() {
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
  }

  pid_t pid_;
  int stdout_fd_;
  int stderr_fd_;
};

// Starts `path` with `args` (argv without argv[0], which becomes `path`).
inline absl::StatusOr<Child> StartProgram(const std::string& path, const std::vector<std::string>& args,
                                          const RunOptions& options = {}) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (options.environment != nullptr) {
    for (const std::string& entry : *options.environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
  }

  // Close-on-exec pipes: a child started by another thread meanwhile never inherits
  // them (finalize runs ctr from several threads at once), so each end sees EOF on time.
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  const auto close_pipes = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if ((options.capture_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) ||
      (options.capture_stderr && ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
    const int error = errno;
    close_pipes();
    return ErrnoStatus(error, "pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.null_stdin) posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (options.capture_stdout) posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  if (options.capture_stderr) {
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  } else if (options.quiet_stderr) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(),
                                   options.environment != nullptr ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int* write_end : {&out_pipe[1], &err_pipe[1]}) {
    if (*write_end >= 0) ::close(std::exchange(*write_end, -1));
  }
  if (error != 0) {
    close_pipes();
    return ErrnoStatus(error, absl::StrCat("spawn ", path));
  }
  return Child(pid, out_pipe[0], err_pipe[0]);
}

// Runs `path` with `args` (argv without argv[0], which becomes `path`) and waits.
inline absl::StatusOr<RunResult> RunProgram(const std::string& path, const std::vector<std::string>& args,
                                            const RunOptions& options = {}) {
  absl::StatusOr<Child> child = StartProgram(path, args, options);
  if (!child.ok()) return child.status();
  RunResult result;
  child->ReadOutputs(&result.stdout_text, &result.stderr_text);
  absl::StatusOr<int> code = child->Wait();
  if (!code.ok()) return code.status();
  result.exit_code = *code;
  return result;
}

// What a helper program (ctr, systemctl) said, both streams: a failed ctr explains itself
// on stderr, and that explanation is what an operator needs in a report.
struct Captured {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs `path` with `args` (argv[0] is `path`), stdin from /dev/null, and waits.
inline absl::StatusOr<Captured> RunCaptured(const std::string& path, const std::vector<std::string>& args) {
  absl::StatusOr<RunResult> ran =
      RunProgram(path, args, {.capture_stdout = true, .capture_stderr = true, .null_stdin = true});
  if (!ran.ok()) return ran.status();
  return Captured{ran->exit_code, std::move(ran->stdout_text), std::move(ran->stderr_text)};
}

}  // namespace tardis

#endif  // TARDIS_SYS_EXEC_H_
