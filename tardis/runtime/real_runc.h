// The real runc that Tardis stands in front of: found from the host configuration,
// and never tardis-runc itself (installed as `runc` in PATH, a `real_runc` pointing back
// at it would loop forever).
#ifndef TARDIS_RUNTIME_REAL_RUNC_H_
#define TARDIS_RUNTIME_REAL_RUNC_H_

#include <unistd.h>

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/config/host_config.h"
#include "tardis/sys/exec.h"
#include "tardis/sys/files.h"

namespace tardis {

class RealRunc {
 public:
  // FailedPrecondition when `configured` is this very program; NotFound when missing.
  static absl::StatusOr<RealRunc> Find(const std::string& configured,
                                       const std::string& self = kSelfExecutableLink) {
    const std::string path = ResolveExecutable(configured);
    if (path.empty() || ::access(path.c_str(), X_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("real_runc not found: ", configured));
    }
    if (SameFile(path, self)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "real_runc (", path, ") is tardis-runc itself; set real_runc in the Tardis config to the real runc"));
    }
    return RealRunc(path);
  }

  const std::string& path() const { return path_; }

  // Replaces this process with runc and the caller's argv, untouched (argv[0] too).
  // Returns errno only if exec fails.
  int ExecReplacing(char* const argv[]) const { return tardis::ExecReplacing(path_, argv); }

  // runc with `args` as a child whose stdio is ours, started; `environment` replaces
  // ours when given.
  absl::StatusOr<Child> Start(const std::vector<std::string>& args,
                              const std::vector<std::string>* environment = nullptr) const {
    return tardis::StartProgram(path_, args, {.environment = environment});
  }

  // The same, waited for: its exit code.
  absl::StatusOr<int> Run(const std::vector<std::string>& args,
                          const std::vector<std::string>* environment = nullptr) const {
    absl::StatusOr<Child> child = Start(args, environment);
    if (!child.ok()) return child.status();
    return child->Wait();
  }

  // runc with `args`, for what it prints (`state`): stdout captured, stderr dropped.
  absl::StatusOr<RunResult> Query(const std::vector<std::string>& args) const {
    return tardis::RunProgram(path_, args, {.capture_stdout = true, .quiet_stderr = true});
  }

 private:
  explicit RealRunc(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace tardis

#endif  // TARDIS_RUNTIME_REAL_RUNC_H_
