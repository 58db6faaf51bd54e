// The one log file, shared by every Tardis process on the node.
//
// Each line is written with a single write(2) on an O_APPEND descriptor, so lines from
// concurrent processes never interleave. The file is opened on the first line at or
// above the threshold: a call that logs nothing costs nothing. Failing to log never
// fails the caller.
#ifndef TARDIS_LOG_LOGGER_H_
#define TARDIS_LOG_LOGGER_H_

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <absl/strings/string_view.h>

#include "tardis/log/level.h"
#include "tardis/sys/files.h"

namespace tardis {

class Logger {
 public:
  Logger(std::string program, std::string path, LogLevel threshold)
      : program_(std::move(program)), path_(std::move(path)), threshold_(threshold) {}
  ~Logger() {
    if (fd_ >= 0) ::close(fd_);
  }
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const { return level >= threshold_; }

  template <typename... Parts>
  void Debug(const Parts&... parts) { Log(LogLevel::kDebug, parts...); }
  template <typename... Parts>
  void Info(const Parts&... parts) { Log(LogLevel::kInfo, parts...); }
  template <typename... Parts>
  void Warning(const Parts&... parts) { Log(LogLevel::kWarning, parts...); }
  template <typename... Parts>
  void Error(const Parts&... parts) { Log(LogLevel::kError, parts...); }

  template <typename... Parts>
  void Log(LogLevel level, const Parts&... parts) {
    if (!Enabled(level)) return;
    Write(level, absl::StrCat(parts...));
  }

  const std::string& path() const { return path_; }

 private:
  void Write(LogLevel level, absl::string_view message) {
    if (fd_ < 0 && !Open()) return;
    struct timeval now;
    ::gettimeofday(&now, nullptr);
    struct tm utc;
    ::gmtime_r(&now.tv_sec, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    char micros[16];
    std::snprintf(micros, sizeof micros, ".%06ldZ", static_cast<long>(now.tv_usec));
    // One record per line, whatever the message contains.
    const std::string line =
        absl::StrCat(stamp, micros, " ", LogLevelName(level), " ", program_, "[", ::getpid(),
                     "] ", absl::StrReplaceAll(message, {{"\n", "\\n"}}), "\n");
    (void)WriteAll(fd_, line, path_);
  }

  bool Open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd_ < 0 && errno == ENOENT) {
      const size_t slash = path_.rfind('/');
      if (slash != std::string::npos && slash > 0 && MakeDirectories(path_.substr(0, slash)).ok()) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
      }
    }
    return fd_ >= 0;
  }

  std::string program_;
  std::string path_;
  LogLevel threshold_;
  int fd_ = -1;
};

}  // namespace tardis

#endif  // TARDIS_LOG_LOGGER_H_
