// What `tardisctl install` will do to a node, decided without touching it: from the
// (already validated) options and what install.h observed on the node (NodeFacts), either
// the refusal, or the ordered steps (install_steps.h). Every refusal is decided here, so
// every check that can refuse runs before the first change.
//
// And what uninstall undoes: the steps an install record says were done, for records of
// every tardisctl (the record's format has not changed since version 1).
#ifndef TARDIS_NODE_INSTALL_PLAN_H_
#define TARDIS_NODE_INSTALL_PLAN_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include "tardis/config/host_config.h"
#include "tardis/node/containerd_config_edit.h"
#include "tardis/node/install_options.h"
#include "tardis/node/install_record.h"
#include "tardis/node/install_steps.h"
#include "tardis/sys/files.h"  // DirName, BaseName (string functions only)

namespace tardis::node {

// What is at --sbin/runc.
enum class RuncInSbin { kNothing, kTardisLink, kOther };

// What install looked at on the node before deciding anything.
struct NodeFacts {
  bool installed = false;  // an install record is in the install directory
  std::string from;        // where the binaries are
  std::vector<std::string> missing_binaries;  // of kInstalledBinaries, not regular files in `from`
  std::string real_runc;   // --real-runc, or the first runc in PATH that is not Tardis's
  bool real_runc_executable = false;
  bool real_runc_is_tardis_link = false;
  absl::StatusOr<std::optional<std::string>> tardis_config = std::optional<std::string>();
  // The real_runc the existing tardis.conf names: the same file as --sbin/runc, and
  // executable.
  bool configured_real_runc_is_sbin_runc = false;
  bool configured_real_runc_executable = false;
  // --mode config
  absl::StatusOr<std::optional<std::string>> containerd_config = std::optional<std::string>();
  // --mode path
  RuncInSbin runc_in_sbin = RuncInSbin::kNothing;
  std::string path_env;  // this shell's PATH: containerd's is likely the same
  bool systemd = false;  // --systemd-dir exists
};

struct InstallPlan {
  InstallRecord record;  // the journal's start: mode, runtime handler, prefix
  std::vector<InstallStep> steps;
};

namespace install_plan_internal {

// containerd finds `runc` through its own PATH; this shell's PATH is the best guess.
inline std::optional<std::string> SbinOrderNote(const std::string& path_env, const std::string& sbin,
                                                const std::string& real_runc) {
  const std::vector<std::string> dirs = absl::StrSplit(path_env, ':');
  const auto position = [&](const std::string& dir) {
    for (size_t i = 0; i < dirs.size(); ++i) {
      if (absl::StripSuffix(dirs[i], "/") == absl::StripSuffix(dir, "/")) return static_cast<int>(i);
    }
    return -1;
  };
  const int sbin_at = position(sbin);
  const int real_at = position(DirName(real_runc));
  if (sbin_at >= 0 && (real_at < 0 || real_at >= sbin_at)) return std::nullopt;
  return absl::StrCat("note: ", sbin, " must come before ", DirName(real_runc),
                      " in containerd's PATH (it does not in this shell's)");
}

inline std::vector<std::string> EditSays(const InstallOptions& options, const std::string& tardis_runc,
                                         bool existed, const ContainerdConfigEdit& edit) {
  const std::string verb = existed ? "edited " : "created ";
  if (options.runtime_handler.empty()) {
    return {absl::StrCat(verb, options.containerd_config, ": BinaryName = ", tardis_runc, " in [", edit.options_table,
                         "] (config version ", edit.version, ")",
                         edit.replaced_lines ? "; the BinaryName it had is commented out" : "")};
  }
  return {absl::StrCat(verb, options.containerd_config, ": added the runtime ", options.runtime_handler, " [",
                       edit.runtime_table, "] with BinaryName = ", tardis_runc, " (config version ", edit.version, "; ",
                       edit.copied_lines ? absl::StrCat(edit.copied_lines, " settings copied from runc's")
                                         : "runc has no settings to copy",
                       ")"),
          absl::StrCat("pods run through Tardis when their RuntimeClass has handler: ", options.runtime_handler,
                       " (docs/kubernetes/runtimeclass.yaml); every other pod runs with runc as before")};
}

// The steps after the unit: systemd loads it and starts the listener, and (--mode config)
// containerd restarts to read its config; uninstall reverses each. Without systemd,
// restarting containerd is left to the operator.
inline void AddServiceSteps(bool systemd, const std::string& mode, const std::string& runtime_handler,
                            std::vector<InstallStep>* steps) {
  if (systemd) {
    steps->push_back(RunSystemctl{{"daemon-reload"}, {"daemon-reload"}, true, false});
    steps->push_back(RunSystemctl{{"enable", "--now", kUnitName}, {"disable", "--now", kUnitName}, false, true});
    if (mode == "config") steps->push_back(RunSystemctl{{"restart", "containerd"}, {"restart", "containerd"}, true, false});
  } else if (mode == "config") {
    steps->push_back(Tell{
        {runtime_handler.empty()
             ? "systemd is not running: restart containerd to make it use tardis-runc"
             : absl::StrCat("systemd is not running: restart containerd to load the runtime ", runtime_handler)},
        {runtime_handler.empty()
             ? "systemd is not running: restart containerd to make it use runc again"
             : absl::StrCat("systemd is not running: restart containerd to drop the runtime ", runtime_handler)},
        true});
  }
}

}  // namespace install_plan_internal

// The plan, or why install refuses. `options` passed install.h's validation.
inline absl::StatusOr<InstallPlan> PlanInstall(const InstallOptions& options, const NodeFacts& facts) {
  using namespace install_plan_internal;
  if (facts.installed) {
    return absl::FailedPreconditionError(absl::StrCat("Tardis is already installed here (",
                                                      InDir(options.install_dir, kInstallRecordName),
                                                      "): run tardisctl uninstall first"));
  }
  if (!facts.missing_binaries.empty()) {
    return absl::NotFoundError(absl::StrCat("no ", facts.missing_binaries.front(), " beside tardisctl (in ", facts.from, ")"));
  }
  const std::string tardis_runc = InDir(options.prefix, "tardis-runc");
  const std::string& real_runc = facts.real_runc;
  if (real_runc.empty() || real_runc.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("--real-runc must be an absolute path, not `", real_runc, "`"));
  }
  if (!facts.tardis_config.ok()) return facts.tardis_config.status();
  const std::optional<std::string>& tardis_config = *facts.tardis_config;
  const std::string link = InDir(options.sbin, "runc");
  std::optional<std::string> configured_real_runc;
  if (tardis_config) {
    configured_real_runc = ParseHostConfig(*tardis_config).config.real_runc;
    if (*configured_real_runc == link || *configured_real_runc == tardis_runc ||
        (options.mode == "path" && facts.configured_real_runc_is_sbin_runc)) {
      return absl::FailedPreconditionError(absl::StrCat(
          options.tardis_config, " names ", *configured_real_runc,
          " as real_runc, which would be tardis-runc itself: ", "set real_runc to the real runc first"));
    }
  }

  InstallPlan plan;
  plan.record.mode = options.mode;
  plan.record.runtime_handler = options.runtime_handler;
  plan.record.prefix = options.prefix;
  std::vector<InstallStep>& steps = plan.steps;

  // containerd's side is decided first: it is where install most often refuses.
  std::optional<InstallStep> containerd_step;
  if (options.mode == "config") {
    if (!facts.containerd_config.ok()) return facts.containerd_config.status();
    const std::optional<std::string>& current = *facts.containerd_config;
    absl::StatusOr<ContainerdConfigEdit> edit =
        options.runtime_handler.empty()
            ? SetRuncBinaryName(current.value_or(""), current.has_value(), tardis_runc)
            : AddTardisRuntime(current.value_or(""), current.has_value(), options.runtime_handler, tardis_runc);
    if (!edit.ok()) {
      return absl::Status(edit.status().code(), absl::StrCat(options.containerd_config, ": ", edit.status().message()));
    }
    containerd_step = EditContainerdConfig{options.containerd_config, current, edit->text,
                                           EditSays(options, tardis_runc, current.has_value(), *edit)};
  } else {
    if (real_runc == link || facts.real_runc_is_tardis_link) {
      return absl::FailedPreconditionError(absl::StrCat("the real runc cannot be ", real_runc, ": pass --real-runc"));
    }
    if (!facts.real_runc_executable) {
      return absl::NotFoundError(absl::StrCat("no runc to run at ", real_runc, ": pass --real-runc"));
    }
    if (facts.runc_in_sbin == RuncInSbin::kOther && !options.force) {
      return absl::AlreadyExistsError(absl::StrCat(
          link, " already exists and is not Tardis's: pass --force to move it aside (uninstall puts it back)"));
    }
    LinkRunc step{link, tardis_runc, facts.runc_in_sbin == RuncInSbin::kTardisLink,
                  {absl::StrCat("linked ", link, " -> ", tardis_runc, " (the real runc: ", real_runc, ")")}};
    if (std::optional<std::string> note = SbinOrderNote(facts.path_env, options.sbin, real_runc)) {
      step.done.push_back(*note);
    }
    containerd_step = std::move(step);
  }

  std::vector<std::string> names(std::begin(kInstalledBinaries), std::end(kInstalledBinaries));
  steps.push_back(PlaceFiles{facts.from, options.prefix, names});
  if (!tardis_config) {
    steps.push_back(WriteIfAbsent{options.tardis_config, DefaultHostConfigText(real_runc), kTardisConfigInstalled,
                                  {absl::StrCat("wrote ", options.tardis_config, " (real_runc = ", real_runc, ")")}});
  } else {
    Tell kept{{absl::StrCat("kept the existing ", options.tardis_config)}, {}, false};
    if (!facts.configured_real_runc_executable) {
      kept.lines.push_back(absl::StrCat("note: its real_runc, ", *configured_real_runc,
                                        ", is not an executable: set it to the real runc"));
    }
    steps.push_back(std::move(kept));
  }
  steps.push_back(*std::move(containerd_step));
  if (facts.systemd) {
    steps.push_back(InstallUnit{InDir(options.unit_dir, kUnitName),
                                RenderListenerUnit(options.unit_template, InDir(options.prefix, "tardis-listen"),
                                                   options.tardis_config, kDefaultConfigPath)});
  }
  AddServiceSteps(facts.systemd, options.mode, options.runtime_handler, &steps);
  return plan;
}

// The steps `record` says install did, in the order it did them: uninstall undoes them
// as install undoes its own on a failure. Each step's undo reads its part of the record;
// the contents install wrote are not in it (they are kept beside it), so these steps are
// only ever undone.
inline std::vector<InstallStep> StepsFromRecord(const InstallRecord& record) {
  std::vector<InstallStep> steps;
  if (!record.binaries.empty()) {
    PlaceFiles placed{"", record.prefix, {}};
    for (const PlacedFile& file : record.binaries) {
      placed.names.push_back(BaseName(file.path));
    }
    steps.push_back(std::move(placed));
  }
  if (record.tardis_config_written) steps.push_back(WriteIfAbsent{record.tardis_config, "", kTardisConfigInstalled, {}});
  if (!record.containerd_config.empty()) {
    steps.push_back(EditContainerdConfig{
        record.containerd_config,
        record.containerd_config_existed ? std::optional<std::string>("") : std::nullopt, "", {}});
  }
  if (!record.runc_link.path.empty()) {
    steps.push_back(LinkRunc{record.runc_link.path, InDir(record.prefix, "tardis-runc"),
                             false, {}});
  }
  if (!record.unit.path.empty()) steps.push_back(InstallUnit{record.unit.path, ""});
  install_plan_internal::AddServiceSteps(record.systemd, record.mode, record.runtime_handler, &steps);
  return steps;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_PLAN_H_
