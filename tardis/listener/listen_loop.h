// tardis-listen's loop: run `ctr events`, record every opted-in container's exit code,
// start ctr again when it ends (containerd restarted), stop cleanly on SIGTERM.
#ifndef TARDIS_LISTENER_LISTEN_LOOP_H_
#define TARDIS_LISTENER_LISTEN_LOOP_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/config/host_config.h"
#include "tardis/events/event_line.h"
#include "tardis/events/exit_event.h"
#include "tardis/listener/backoff.h"
#include "tardis/listener/exit_recorder.h"
#include "tardis/listener/line_reader.h"
#include "tardis/log/logger.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/exec.h"


namespace tardis {

namespace listen_internal {

// SIGTERM and SIGINT write here; the loop polls it beside ctr's output.
inline int stop_pipe[2] = {-1, -1};

inline void OnStopSignal(int) {
  const int saved = errno;
  (void)!::write(stop_pipe[1], "x", 1);
  errno = saved;
}

inline int64_t MonotonicMs() {
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace listen_internal

// `ctr [--address A] events`.
inline std::vector<std::string> CtrEventsArgs(const HostConfig& config) {
  std::vector<std::string> args;
  if (!config.containerd_address.empty()) args = {"--address", config.containerd_address};
  args.push_back("events");
  return args;
}

class ListenLoop {
 public:
  ListenLoop(const HostConfig& config, Logger& log)
      : config_(config), log_(log), store_(config.state_dir) {}

  // Runs until SIGTERM/SIGINT; returns the process's exit code.
  int Run() {
    using namespace listen_internal;
    if (::pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      log_.Error("cannot create the stop pipe");
      return 1;
    }
    struct sigaction stop = {};
    stop.sa_handler = OnStopSignal;
    ::sigaction(SIGTERM, &stop, nullptr);
    ::sigaction(SIGINT, &stop, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    const std::string ctr = ResolveExecutable(config_.ctr);
    int64_t delay_ms = 0;
    while (!stopping_) {
      const int64_t started = MonotonicMs();
      if (ctr.empty()) {
        log_.Error("ctr not found: ", config_.ctr);
      } else {
        RunCtrEventsOnce(ctr);
      }
      if (stopping_) break;
      delay_ms = NextRestartDelayMs(delay_ms, MonotonicMs() - started);
      log_.Warning("`ctr events` ended; starting it again in ", delay_ms, " ms");
      WaitForStop(static_cast<int>(delay_ms));
    }
    log_.Info("stopping on signal");
    return 0;
  }

 private:
  // Runs one `ctr events` until it ends or a stop signal arrives.
  void RunCtrEventsOnce(const std::string& ctr) {
    const std::vector<std::string> args = CtrEventsArgs(config_);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<char*> argv{const_cast<char*>(ctr.c_str())};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // ctr must not outlive the listener, however the listener dies: a killed listener
    // that left its `ctr events` behind would leave one more after every restart.
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(0);  // the listener died before prctl
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(ctr.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    if (pid < 0) {
      ::close(out[0]);
      log_.Error("cannot start ", ctr, ": fork failed");
      return;
    }
    log_.Info("listening: ", ctr, " ", absl::StrJoin(args, " "), " (pid ", pid, ")");

    LineReader lines(events::kMaxEventLineBytes);
    char buffer[65536];
    while (true) {
      struct pollfd fds[2] = {{out[0], POLLIN, 0}, {listen_internal::stop_pipe[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents != 0) {
        stopping_ = true;
        break;
      }
      const ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      lines.Feed(absl::string_view(buffer, static_cast<size_t>(n)),
                 [&](absl::string_view line, bool oversized) { OnLine(line, oversized); });
    }
    ::close(out[0]);
    if (stopping_) ::kill(pid, SIGTERM);
    const int status = ReapWithin(pid, /*grace_ms=*/2000);
    log_.Info("`ctr events` (pid ", pid, ") ended with status ", ExitCodeOf(status));
  }

  void OnLine(absl::string_view line, bool oversized) {
    if (oversized) {
      log_.Warning("dropped an event line longer than ", events::kMaxEventLineBytes, " bytes");
      return;
    }
    absl::StatusOr<events::ExitLineMatch> match = events::MatchRecordableExit(line);
    if (!match.ok()) {
      log_.Warning("unexpected line from ctr events (", match.status().message(), "): ", line.substr(0, 200));
      return;
    }
    if (!match->record()) return;
    const ExitRecordResult result = RecordExit(store_, *match);
    const std::string who = absl::StrCat(match->ns, "/", match->exit.container_id);
    switch (result.what) {
      case ExitRecorded::kRecorded:
        log_.Info(who, ": recorded ", result.detail);
        break;
      case ExitRecorded::kStale:
        log_.Info(who, ": ignored an exit: ", result.detail);
        break;
      case ExitRecorded::kFailed:
        log_.Error(who, ": could not record its exit: ", result.detail);
        break;
      case ExitRecorded::kNotOptedIn:
        break;
    }
  }

  // Waits for `pid`; one that is still there after `grace_ms` is killed: stopping must
  // never hang on a child that ignores SIGTERM.
  static int ReapWithin(pid_t pid, int64_t grace_ms) {
    const int64_t deadline = listen_internal::MonotonicMs() + grace_ms;
    int status = 0;
    while (true) {
      const pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid || (done < 0 && errno != EINTR)) return status;
      if (listen_internal::MonotonicMs() >= deadline) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return status;
      }
      ::usleep(10 * 1000);
    }
  }

  void WaitForStop(int timeout_ms) {
    struct pollfd fd = {listen_internal::stop_pipe[0], POLLIN, 0};
    if (::poll(&fd, 1, timeout_ms) > 0) stopping_ = true;
  }

  const HostConfig& config_;
  Logger& log_;
  StateStore store_;
  bool stopping_ = false;
};

}  // namespace tardis

#endif  // TARDIS_LISTENER_LISTEN_LOOP_H_
