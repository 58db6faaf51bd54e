// Running other programs: replacing this process (the pass-through path), or running a
// child and waiting for it with stdio inherited or stdout captured.
#ifndef TARDIS_SYS_EXEC_H_
#define TARDIS_SYS_EXEC_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "tardis/sys/errno_status.h"

extern char** environ;

namespace tardis {

// `name` if it contains a slash; otherwise the first executable of that name in $PATH
// (as execvp would pick), or "" when there is none.
inline std::string ResolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
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
};

struct RunResult {
  int exit_code = 0;
  std::string stdout_text;  // when captured
};

// Runs `path` with `args` (argv without argv[0], which becomes `path`) and waits.
inline absl::StatusOr<RunResult> RunProgram(const std::string& path, const std::vector<std::string>& args,
                                     const RunOptions& options = {}) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.capture_stdout) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      posix_spawn_file_actions_destroy(&actions);
      return ErrnoStatus(errno, "pipe");
    }
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  }
  if (options.quiet_stderr) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_fds[1] >= 0) ::close(pipe_fds[1]);
  if (error != 0) {
    if (pipe_fds[0] >= 0) ::close(pipe_fds[0]);
    return ErrnoStatus(error, absl::StrCat("spawn ", path));
  }

  RunResult result;
  if (pipe_fds[0] >= 0) {
    char buffer[8192];
    while (true) {
      const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      result.stdout_text.append(buffer, static_cast<size_t>(n));
    }
    ::close(pipe_fds[0]);
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("wait for ", path));
  }
  result.exit_code = ExitCodeOf(wait_status);
  return result;
}

}  // namespace tardis

#endif  // TARDIS_SYS_EXEC_H_
