// `tardisctl install` and `tardisctl uninstall`: make a node's containerd run tardis-runc,
// and undo exactly that.
//
// install copies the binaries (found beside tardisctl) to the prefix, writes a default
// tardis.conf when there is none, and then either edits containerd's config so the runc
// runtime's BinaryName is the installed tardis-runc (--mode config), or, with
// --runtime-handler NAME, adds a runtime NAME of its own running tardis-runc (for
// Kubernetes' RuntimeClass: only pods asking for it go through Tardis), or shadows `runc`
// in PATH with a symlink to it (--mode path). With systemd running it installs the
// tardis-listen unit and restarts containerd.
//
// How, file by file: this header validates the options, looks at the node once
// (ObserveNode), and runs the plan; install_plan.h decides the steps (and every refusal)
// from what was seen, without touching anything; install_steps.h names the kinds of step,
// install_step_actions.h does and undoes each, journaling it in the install record
// (install_record.h) before it acts; install_apply.h runs them in order and, on a failure,
// undoes the done ones in reverse. Uninstall undoes the steps the record names with the
// same code.
//
// uninstall follows the record: files install made are removed, what they replaced is
// put back, and containerd's config is restored byte for byte, or, when someone changed
// it since, only the lines install marked are taken out (and uninstall says so). A file
// install wrote that was changed since (tardis.conf, the unit) is left in place.
//
// Every path is an option (install_options.h), so tests never touch the real system.
#ifndef TARDIS_NODE_INSTALL_H_
#define TARDIS_NODE_INSTALL_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>

#include "tardis/config/host_config.h"
#include "tardis/node/containerd_config_edit.h"
#include "tardis/node/install_apply.h"
#include "tardis/node/install_options.h"
#include "tardis/node/install_plan.h"
#include "tardis/node/install_record.h"
#include "tardis/node/install_step_actions.h"
#include "tardis/node/install_steps.h"
#include "tardis/node/utf8.h"
#include "tardis/sys/exec.h"
#include "tardis/sys/files.h"

namespace tardis::node {

namespace install_internal {

inline absl::Status RequireAbsolute(absl::string_view what, const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be an absolute path, not `", path, "`"));
  }
  return absl::OkStatus();
}

// The options alone, before anything on the node is looked at.
inline absl::Status ValidateInstallOptions(const InstallOptions& options) {
  if (options.mode != "config" && options.mode != "path") {
    return absl::InvalidArgumentError(absl::StrCat("--mode must be config or path, not `", options.mode, "`"));
  }
  if (!options.runtime_handler.empty()) {
    if (options.mode != "config") return absl::InvalidArgumentError("--runtime-handler only applies to --mode config");
    if (absl::Status valid = ValidateRuntimeHandler(options.runtime_handler); !valid.ok()) return valid;
  }
  for (const auto& [what, path] : std::vector<std::pair<std::string, std::string>>{
           {"--prefix", options.prefix},
           {"--containerd-config", options.containerd_config},
           {"--tardis-config", options.tardis_config},
           {"--install-dir", options.install_dir},
           {"--sbin", options.sbin},
           {"--systemd-dir", options.systemd_dir},
           {"--unit-dir", options.unit_dir}}) {
    if (absl::Status absolute = RequireAbsolute(what, path); !absolute.ok()) return absolute;
    // The install record is JSON.
    if (!IsUtf8(path)) return absl::InvalidArgumentError(absl::StrCat(what, " must be UTF-8"));
  }
  return absl::OkStatus();
}

inline std::string FindRealRunc(const std::string& sbin, const std::string& tardis_runc) {
  for (absl::string_view dir : PathDirectories("/usr/sbin:/usr/bin:/sbin:/bin")) {
    if (dir.empty() || absl::StripSuffix(dir, "/") == absl::StripSuffix(sbin, "/")) continue;
    const std::string candidate = absl::StrCat(dir, "/runc");
    if (::access(candidate.c_str(), X_OK) != 0 || IsTardisRuncLink(candidate)) continue;
    if (SameFile(candidate, tardis_runc)) continue;
    return candidate;
  }
  return "/usr/sbin/runc";
}

// Everything install's plan depends on, looked at once, before any change.
inline NodeFacts ObserveNode(const InstallOptions& options) {
  NodeFacts facts;
  facts.installed = Exists(InDir(options.install_dir, kInstallRecordName));
  facts.from = options.from.empty() ? DirName(SelfExecutable()) : options.from;
  for (const char* name : kInstalledBinaries) {
    struct stat st;
    const std::string path = InDir(facts.from, name);
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) facts.missing_binaries.push_back(name);
  }
  const std::string tardis_runc = InDir(options.prefix, "tardis-runc");
  const std::string link = InDir(options.sbin, "runc");
  facts.real_runc = !options.real_runc.empty() ? options.real_runc : FindRealRunc(options.sbin, tardis_runc);
  facts.real_runc_executable = ::access(facts.real_runc.c_str(), X_OK) == 0;
  facts.real_runc_is_tardis_link = IsTardisRuncLink(facts.real_runc);
  facts.tardis_config = ReadIfExists(options.tardis_config);
  if (facts.tardis_config.ok() && *facts.tardis_config) {
    const std::string configured = ParseHostConfig(**facts.tardis_config).config.real_runc;
    facts.configured_real_runc_is_sbin_runc = SameFile(configured, link);
    facts.configured_real_runc_executable = ::access(configured.c_str(), X_OK) == 0;
  }
  if (options.mode == "config") facts.containerd_config = ReadIfExists(options.containerd_config);
  if (Exists(link)) facts.runc_in_sbin = IsTardisRuncLink(link) ? RuncInSbin::kTardisLink : RuncInSbin::kOther;
  const char* path = std::getenv("PATH");
  facts.path_env = path != nullptr ? path : "";
  facts.systemd = IsDirectory(options.systemd_dir);
  return facts;
}

inline StepCalls<InstallStep> NodeStepCalls(StepDoer* doer, StepUndoer* undoer) {
  return {[doer](const InstallStep& step) { return doer->Do(step); },
          [undoer](const InstallStep& step) { undoer->Undo(step); }, UndoneLast};
}

}  // namespace install_internal

inline absl::Status Install(const InstallOptions& options, const Say& say) {
  using namespace install_internal;
  if (absl::Status valid = ValidateInstallOptions(options); !valid.ok()) return valid;
  absl::StatusOr<InstallPlan> plan = PlanInstall(options, ObserveNode(options));
  if (!plan.ok()) return plan.status();

  // From here on, every change is in the record before it is made.
  InstallRecord record = plan->record;
  StepDoer doer(options.install_dir, options.systemctl, &record, say);
  StepUndoer undoer(options.install_dir, options.systemctl, &record, say);
  absl::Status applied = doer.MakeDirectories(options.install_dir);
  if (applied.ok()) applied = doer.Save();
  if (!applied.ok()) {
    say(InstallFailedMessage(applied));
  } else {
    applied = ApplySteps(plan->steps, NodeStepCalls(&doer, &undoer), say);
    if (applied.ok()) applied = doer.Save();
    if (applied.ok()) {
      say(absl::StrCat("installed (--mode ", options.mode, "); `tardisctl uninstall --install-dir ",
                       options.install_dir, "` undoes it"));
      return absl::OkStatus();
    }
  }
  RemoveInstallJournal(record, options.install_dir, undoer);
  return applied;
}

inline absl::Status Uninstall(const UninstallOptions& options, const Say& say) {
  using namespace install_internal;
  if (absl::Status absolute = RequireAbsolute("--install-dir", options.install_dir); !absolute.ok()) return absolute;
  const std::string record_path = InDir(options.install_dir, kInstallRecordName);
  absl::StatusOr<std::optional<std::string>> text = ReadIfExists(record_path);
  if (!text.ok()) return text.status();
  if (!*text) return absl::NotFoundError(absl::StrCat("nothing to uninstall: no install record at ", record_path));
  absl::StatusOr<InstallRecord> record = ParseInstallRecord(**text);
  if (!record.ok()) return absl::DataLossError(absl::StrCat(record_path, ": ", record.status().message()));
  StepUndoer undoer(options.install_dir, options.systemctl, &*record, say);
  const std::vector<InstallStep> steps = StepsFromRecord(*record);
  UndoSteps(steps, steps.size(), NodeStepCalls(nullptr, &undoer));
  RemoveInstallJournal(*record, options.install_dir, undoer);
  if (undoer.first_problem().ok()) say("uninstalled");
  return undoer.first_problem();
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_H_
