// `tardisctl install` and `tardisctl uninstall`: make a node's containerd run tardis-runc,
// and undo exactly that.
//
// install copies the binaries (found beside tardisctl) to the prefix, writes a default
// tardis.conf when there is none, and then either edits containerd's config so the runc
// runtime's BinaryName is the installed tardis-runc (--mode config), or, with
// --runtime-handler NAME, adds a runtime NAME of its own running tardis-runc (for
// Kubernetes' RuntimeClass: only pods asking for it go through Tardis), or shadows `runc`
// in PATH with a symlink to it (--mode path). With systemd running it installs the
// tardis-listen unit and restarts containerd. Everything it changes is written down in
// the install directory (tardis/node/install_record.h) as it goes; whatever stood in the
// way is moved there, never overwritten. Every check that can refuse runs before the
// first change, and a failure half-way undoes what was done.
//
// uninstall follows the record: files install made are removed, what they replaced is
// put back, and containerd's config is restored byte for byte, or, when someone changed
// it since, only the lines install marked are taken out (and uninstall says so). A file
// install wrote that was changed since (tardis.conf, the unit) is left in place.
//
// Every path is an option, so tests never touch the real system.
#ifndef TARDIS_NODE_INSTALL_H_
#define TARDIS_NODE_INSTALL_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include "tardis/config/host_config.h"
#include "tardis/config/load_host_config.h"
#include "tardis/node/containerd_config_edit.h"
#include "tardis/node/install_record.h"
#include "tardis/node/node_files.h"
#include "tardis/node/process.h"
#include "tardis/node/utf8.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/exec.h"

namespace tardis::node {

// All required: the tardis-runc front-end refuses every call it cannot pass straight to
// runc when tardis-runc-handler is not beside it.
inline constexpr const char* kInstalledBinaries[] = {"tardis-runc", "tardis-runc-handler", "tardis-listen", "tardisctl"};
inline constexpr char kUnitName[] = "tardis-listen.service";

struct InstallOptions {
  std::string mode = "config";
  std::string runtime_handler;  // --mode config: "" = make runc tardis-runc; else add this runtime
  std::string prefix = "/usr/local/lib/tardis";
  std::string from;  // where the binaries are; "" = beside the running tardisctl
  std::string containerd_config = "/etc/containerd/config.toml";
  std::string tardis_config = kDefaultConfigPath;
  std::string install_dir = "/var/lib/tardis/install";
  std::string sbin = "/usr/local/sbin";
  std::string real_runc;  // "" = the first runc in PATH that is not Tardis's
  bool force = false;
  std::string systemd_dir = "/run/systemd/system";  // exists when systemd runs
  std::string unit_dir = "/etc/systemd/system";
  std::string systemctl = "systemctl";
  std::string unit_template;  // cmd/tardis-listen.service
};

struct UninstallOptions {
  std::string install_dir = "/var/lib/tardis/install";
  std::string systemctl = "systemctl";
};

using Say = std::function<void(const std::string&)>;

namespace install_internal {

inline absl::Status RequireAbsolute(absl::string_view what, const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be an absolute path, not `", path, "`"));
  }
  return absl::OkStatus();
}

// A symlink pointing at a file called tardis-runc: Tardis's own `runc` in PATH.
inline bool IsTardisRuncLink(const std::string& path) {
  const std::optional<std::string> target = SymlinkTarget(path);
  return target && BaseName(*target) == "tardis-runc";
}

// Moves `from` to `to` (a symlink stays a symlink), across filesystems if need be.
inline absl::Status MoveFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  if (errno != EXDEV) return ErrnoStatus(errno, absl::StrCat("move ", from, " to ", to));
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", from));
  if (S_ISLNK(st.st_mode)) {
    const std::optional<std::string> target = SymlinkTarget(from);
    if (!target) return absl::InternalError(absl::StrCat("cannot read the link ", from));
    if (::symlink(target->c_str(), to.c_str()) != 0) return ErrnoStatus(errno, absl::StrCat("symlink ", to));
  } else if (S_ISREG(st.st_mode)) {
    absl::StatusOr<std::string> content = ReadSmallFile(from, 1u << 30);
    if (!content.ok()) return content.status();
    if (absl::Status copied = ReplaceFile(to, *content, st.st_mode & 07777, st.st_uid, st.st_gid); !copied.ok()) {
      return copied;
    }
  } else {
    return absl::FailedPreconditionError(absl::StrCat(from, " is neither a file nor a symlink"));
  }
  return RemoveFile(from);
}

// Restores a file install moved aside; `path` must be free.
inline absl::Status PutBack(const std::string& previous, const std::string& path) {
  if (previous.empty()) return absl::OkStatus();
  if (Exists(path)) return absl::AlreadyExistsError(absl::StrCat(path, " is taken; ", previous, " stays where it is"));
  return MoveFile(previous, path);
}

inline std::string FindRealRunc(const std::string& sbin, const std::string& tardis_runc) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin", ':')) {
    if (dir.empty() || absl::StripSuffix(dir, "/") == absl::StripSuffix(sbin, "/")) continue;
    const std::string candidate = absl::StrCat(dir, "/runc");
    if (::access(candidate.c_str(), X_OK) != 0 || IsTardisRuncLink(candidate)) continue;
    if (SameFile(candidate, tardis_runc)) continue;
    return candidate;
  }
  return "/usr/sbin/runc";
}

inline absl::Status RunSystemctl(const std::string& systemctl, const std::vector<std::string>& args, const Say& say) {
  const std::string binary = ResolveExecutable(systemctl);
  absl::StatusOr<Captured> ran = RunCaptured(binary.empty() ? systemctl : binary, args);
  const std::string command = absl::StrCat("systemctl ", absl::StrJoin(args, " "));
  if (!ran.ok()) return absl::UnavailableError(absl::StrCat(command, ": ", ran.status().message()));
  if (ran->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(command, " failed (exit status ", ran->exit_code, "): ",
                                               absl::StripAsciiWhitespace(ran->err)));
  }
  say(absl::StrCat("ran ", command));
  return absl::OkStatus();
}

inline std::string InDir(const std::string& dir, absl::string_view name) { return absl::StrCat(dir, "/", name); }

inline absl::Status SaveRecord(const std::string& install_dir, const InstallRecord& record) {
  return ReplaceFile(InDir(install_dir, kInstallRecordName), SerializeInstallRecord(record), 0600, ::geteuid(),
                     ::getegid());
}

inline absl::Status SaveCopy(const std::string& install_dir, absl::string_view name, absl::string_view content) {
  return ReplaceFile(InDir(install_dir, name), content, 0600, ::geteuid(), ::getegid());
}

// Undoes what `record` says install did. Steps that cannot be undone are reported and
// the rest still happens; the first problem is returned.
inline absl::Status UndoInstall(const InstallRecord& record, const std::string& install_dir,
                                const std::string& systemctl, const Say& say) {
  absl::Status first;
  const auto note = [&](const absl::Status& status) {
    if (status.ok()) return;
    say(absl::StrCat("problem: ", status.message()));
    if (first.ok()) first = status;
  };
  const auto installed_copy = [&](absl::string_view name) -> std::optional<std::string> {
    absl::StatusOr<std::optional<std::string>> copy = ReadIfExists(InDir(install_dir, name));
    return copy.ok() ? *copy : std::nullopt;
  };

  // systemd: the listener stops first, its unit goes.
  if (record.systemd) {
    if (absl::Status stopped = RunSystemctl(systemctl, {"disable", "--now", kUnitName}, say); !stopped.ok()) {
      say(absl::StrCat("problem: ", stopped.message()));
    }
  }
  if (!record.unit.path.empty()) {
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(record.unit.path);
    const std::optional<std::string> installed = installed_copy(kUnitInstalled);
    if (current.ok() && *current && installed && **current == *installed) {
      note(RemoveFile(record.unit.path));
      say(absl::StrCat("removed ", record.unit.path));
      note(PutBack(record.unit.previous, record.unit.path));
    } else if (current.ok() && !*current) {
      note(PutBack(record.unit.previous, record.unit.path));
    } else {
      say(absl::StrCat(record.unit.path, " was changed since install: left in place"));
    }
  }

  // containerd's config.
  if (!record.containerd_config.empty()) {
    const std::string& path = record.containerd_config;
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(path);
    const std::optional<std::string> installed = installed_copy(kContainerdConfigInstalled);
    if (!current.ok()) {
      note(current.status());
    } else if (!*current) {
      say(absl::StrCat(path, " is gone: nothing to restore"));
    } else if (installed && **current == *installed) {
      if (record.containerd_config_existed) {
        const std::optional<std::string> original = installed_copy(kContainerdConfigOriginal);
        if (!original) {
          note(absl::DataLossError(absl::StrCat("the copy of ", path, " from before install is missing")));
        } else {
          const absl::Status restored = ReplaceFileKeepingMode(path, *original, 0644);
          note(restored);
          if (restored.ok()) say(absl::StrCat("restored ", path, " as it was before install"));
        }
      } else {
        const absl::Status removed = RemoveFile(path);
        note(removed);
        if (removed.ok()) say(absl::StrCat("removed ", path, " (install created it)"));
      }
    } else {
      const ContainerdConfigUndo undo = RemoveTardisLines(**current);
      if (undo.removed_lines + undo.restored_lines + undo.kept_headers == 0) {
        say(absl::StrCat(path, " was changed since install and holds no line of tardisctl's: left as it is"));
      } else if (undo.text.empty() && !record.containerd_config_existed) {
        note(RemoveFile(path));
        say(absl::StrCat(path, " was changed since install, but only by tardisctl's lines: removed it (install created it)"));
      } else {
        const absl::Status written = ReplaceFileKeepingMode(path, undo.text, 0644);
        note(written);
        if (written.ok()) {
          say(absl::StrCat(path, " was changed since install: took out only the lines tardisctl install marked (",
                           undo.removed_lines, " removed, ", undo.restored_lines, " restored",
                           undo.kept_headers ? absl::StrCat(", ", undo.kept_headers, " table headers kept: keys of yours are under them") : "",
                           "); everything else is as it is now"));
        }
      }
    }
  }

  // The `runc` symlink.
  if (!record.runc_link.path.empty()) {
    const std::string& link = record.runc_link.path;
    if (IsTardisRuncLink(link)) {
      note(RemoveFile(link));
      say(absl::StrCat("removed the symlink ", link));
    } else if (Exists(link)) {
      say(absl::StrCat(link, " is no longer Tardis's symlink: left as it is"));
    }
    if (!record.runc_link.previous.empty()) {
      const absl::Status back = PutBack(record.runc_link.previous, link);
      note(back);
      if (back.ok()) say(absl::StrCat("put back the previous ", link));
    }
  }

  // The binaries.
  std::vector<std::string> removed;
  for (const PlacedFile& file : record.binaries) {
    note(RemoveFile(file.path));
    removed.push_back(BaseName(file.path));
    const absl::Status back = PutBack(file.previous, file.path);
    note(back);
    if (back.ok() && !file.previous.empty()) say(absl::StrCat("put back the previous ", file.path));
  }
  if (!removed.empty()) say(absl::StrCat("removed ", absl::StrJoin(removed, ", "), " from ", record.prefix));

  // tardis.conf, when install wrote it and nobody changed it since.
  if (record.tardis_config_written) {
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(record.tardis_config);
    const std::optional<std::string> installed = installed_copy(kTardisConfigInstalled);
    if (current.ok() && *current && installed && **current == *installed) {
      note(RemoveFile(record.tardis_config));
      say(absl::StrCat("removed ", record.tardis_config));
    } else if (current.ok() && *current) {
      say(absl::StrCat(record.tardis_config, " was changed since install: left in place"));
    }
  }

  if (record.systemd) {
    note(RunSystemctl(systemctl, {"daemon-reload"}, say));
    if (record.mode == "config") note(RunSystemctl(systemctl, {"restart", "containerd"}, say));
  } else if (record.mode == "config") {
    say(record.runtime_handler.empty()
            ? "systemd is not running: restart containerd to make it use runc again"
            : absl::StrCat("systemd is not running: restart containerd to drop the runtime ", record.runtime_handler));
  }

  // The install directory's own files, then every directory install made (if empty).
  for (const char* name : {kContainerdConfigOriginal, kContainerdConfigInstalled, kTardisConfigInstalled,
                           kUnitInstalled, kInstallRecordName}) {
    note(RemoveFile(InDir(install_dir, name)));
  }
  ::rmdir(InDir(install_dir, kBackupDir).c_str());
  for (auto dir = record.created_dirs.rbegin(); dir != record.created_dirs.rend(); ++dir) ::rmdir(dir->c_str());
  return first;
}

}  // namespace install_internal

inline absl::Status Install(const InstallOptions& options, const Say& say) {
  using namespace install_internal;
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
  const std::string record_path = InDir(options.install_dir, kInstallRecordName);
  if (Exists(record_path)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Tardis is already installed here (", record_path, "): run tardisctl uninstall first"));
  }

  // The binaries to copy.
  const std::string from = options.from.empty() ? DirName(SelfExecutable()) : options.from;
  std::vector<std::string> binaries;
  for (const char* name : kInstalledBinaries) {
    const std::string path = InDir(from, name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return absl::NotFoundError(absl::StrCat("no ", name, " beside tardisctl (in ", from, ")"));
    }
    binaries.push_back(name);
  }
  const std::string tardis_runc = InDir(options.prefix, "tardis-runc");
  const std::string real_runc = !options.real_runc.empty() ? options.real_runc
                                                           : FindRealRunc(options.sbin, tardis_runc);
  if (absl::Status absolute = RequireAbsolute("--real-runc", real_runc); !absolute.ok()) return absolute;

  // Every check that can refuse, before the first change.
  absl::StatusOr<std::optional<std::string>> tardis_config = ReadIfExists(options.tardis_config);
  if (!tardis_config.ok()) return tardis_config.status();
  const std::string link = InDir(options.sbin, "runc");
  if (*tardis_config) {
    const HostConfig existing = ParseHostConfig(**tardis_config).config;
    if (existing.real_runc == link || existing.real_runc == tardis_runc ||
        (options.mode == "path" && SameFile(existing.real_runc, link))) {
      return absl::FailedPreconditionError(absl::StrCat(
          options.tardis_config, " names ", existing.real_runc, " as real_runc, which would be tardis-runc itself: ",
          "set real_runc to the real runc first"));
    }
  }
  std::optional<ContainerdConfigEdit> edit;
  std::optional<std::string> containerd_original;
  bool link_is_ours = false;
  if (options.mode == "config") {
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(options.containerd_config);
    if (!current.ok()) return current.status();
    containerd_original = *current;
    absl::StatusOr<ContainerdConfigEdit> edited =
        options.runtime_handler.empty()
            ? SetRuncBinaryName(current->value_or(""), current->has_value(), tardis_runc)
            : AddTardisRuntime(current->value_or(""), current->has_value(), options.runtime_handler, tardis_runc);
    if (!edited.ok()) {
      return absl::Status(edited.status().code(), absl::StrCat(options.containerd_config, ": ", edited.status().message()));
    }
    edit = *std::move(edited);
  } else {
    if (real_runc == link || IsTardisRuncLink(real_runc)) {
      return absl::FailedPreconditionError(absl::StrCat("the real runc cannot be ", real_runc, ": pass --real-runc"));
    }
    if (::access(real_runc.c_str(), X_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("no runc to run at ", real_runc, ": pass --real-runc"));
    }
    if (Exists(link)) {
      link_is_ours = IsTardisRuncLink(link);
      if (!link_is_ours && !options.force) {
        return absl::AlreadyExistsError(absl::StrCat(
            link, " already exists and is not Tardis's: pass --force to move it aside (uninstall puts it back)"));
      }
    }
  }

  // From here on, every change is in the record as soon as it is made.
  InstallRecord record;
  record.mode = options.mode;
  record.runtime_handler = options.runtime_handler;
  record.prefix = options.prefix;
  const auto fail = [&](const absl::Status& status) {
    say(absl::StrCat("install failed: ", status.message(), "; undoing what it did"));
    (void)UndoInstall(record, options.install_dir, options.systemctl, [&](const std::string& line) { say(line); });
    return status;
  };
  if (absl::Status made = MakeDirectoriesNoting(options.install_dir, &record.created_dirs); !made.ok()) return fail(made);
  if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
  const std::string backups = InDir(options.install_dir, kBackupDir);
  const auto move_aside = [&](const std::string& path, std::string* previous) -> absl::Status {
    if (!Exists(path)) return absl::OkStatus();
    if (absl::Status made = MakeDirectories(backups, 0700); !made.ok()) return made;
    const std::string to = InDir(backups, absl::StrCat(BaseName(DirName(path)), ".", BaseName(path)));
    if (Exists(to)) return absl::AlreadyExistsError(absl::StrCat(to, " exists; cannot move ", path, " aside"));
    if (absl::Status moved = MoveFile(path, to); !moved.ok()) return moved;
    *previous = to;
    say(absl::StrCat("moved the previous ", path, " to ", to));
    return absl::OkStatus();
  };

  // 1. Binaries.
  if (absl::Status made = MakeDirectoriesNoting(options.prefix, &record.created_dirs); !made.ok()) return fail(made);
  for (const std::string& name : binaries) {
    PlacedFile placed{InDir(options.prefix, name), ""};
    if (absl::Status moved = move_aside(placed.path, &placed.previous); !moved.ok()) return fail(moved);
    record.binaries.push_back(placed);
    if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
    if (absl::Status copied = CopyFile(InDir(from, name), placed.path, 0755); !copied.ok()) return fail(copied);
  }
  say(absl::StrCat("installed ", absl::StrJoin(binaries, ", "), " in ", options.prefix));

  // 2. tardis.conf, when there is none.
  if (!*tardis_config) {
    const std::string text = DefaultHostConfigText(real_runc);
    record.tardis_config = options.tardis_config;
    if (absl::Status made = MakeDirectoriesNoting(DirName(options.tardis_config), &record.created_dirs); !made.ok()) {
      return fail(made);
    }
    if (absl::Status copy = SaveCopy(options.install_dir, kTardisConfigInstalled, text); !copy.ok()) return fail(copy);
    record.tardis_config_written = true;
    if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
    if (absl::Status written = ReplaceFile(options.tardis_config, text, 0644, ::geteuid(), ::getegid()); !written.ok()) {
      return fail(written);
    }
    say(absl::StrCat("wrote ", options.tardis_config, " (real_runc = ", real_runc, ")"));
  } else {
    say(absl::StrCat("kept the existing ", options.tardis_config));
    const std::string configured = ParseHostConfig(**tardis_config).config.real_runc;
    if (::access(configured.c_str(), X_OK) != 0) {
      say(absl::StrCat("note: its real_runc, ", configured, ", is not an executable: set it to the real runc"));
    }
  }

  // 3. containerd runs tardis-runc.
  if (options.mode == "config") {
    const std::string& path = options.containerd_config;
    record.containerd_config = path;
    record.containerd_config_existed = containerd_original.has_value();
    if (containerd_original) {
      if (absl::Status copy = SaveCopy(options.install_dir, kContainerdConfigOriginal, *containerd_original); !copy.ok()) {
        return fail(copy);
      }
    } else if (absl::Status made = MakeDirectoriesNoting(DirName(path), &record.created_dirs); !made.ok()) {
      return fail(made);
    }
    if (absl::Status copy = SaveCopy(options.install_dir, kContainerdConfigInstalled, edit->text); !copy.ok()) {
      return fail(copy);
    }
    if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
    if (absl::Status written = ReplaceFileKeepingMode(path, edit->text, 0644); !written.ok()) return fail(written);
    if (options.runtime_handler.empty()) {
      say(absl::StrCat(containerd_original ? "edited " : "created ", path, ": BinaryName = ", tardis_runc, " in [",
                       edit->options_table, "] (config version ", edit->version, ")",
                       edit->replaced_lines ? "; the BinaryName it had is commented out" : ""));
    } else {
      say(absl::StrCat(containerd_original ? "edited " : "created ", path, ": added the runtime ",
                       options.runtime_handler, " [", edit->runtime_table, "] with BinaryName = ", tardis_runc,
                       " (config version ", edit->version, "; ",
                       edit->copied_lines ? absl::StrCat(edit->copied_lines, " settings copied from runc's")
                                          : "runc has no settings to copy",
                       ")"));
      say(absl::StrCat("pods run through Tardis when their RuntimeClass has handler: ", options.runtime_handler,
                       " (docs/kubernetes/runtimeclass.yaml); every other pod runs with runc as before"));
    }
  } else {
    record.runc_link.path = link;
    if (link_is_ours) {
      if (absl::Status removed = RemoveFile(link); !removed.ok()) return fail(removed);
    } else if (absl::Status moved = move_aside(link, &record.runc_link.previous); !moved.ok()) {
      return fail(moved);
    }
    if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
    if (absl::Status made = MakeDirectoriesNoting(options.sbin, &record.created_dirs); !made.ok()) return fail(made);
    if (::symlink(tardis_runc.c_str(), link.c_str()) != 0) return fail(ErrnoStatus(errno, absl::StrCat("symlink ", link)));
    say(absl::StrCat("linked ", link, " -> ", tardis_runc, " (the real runc: ", real_runc, ")"));
    // containerd finds `runc` through its own PATH; this shell's PATH is the best guess.
    const char* path = std::getenv("PATH");
    const std::vector<std::string> dirs = absl::StrSplit(path != nullptr ? path : "", ':');
    const auto position = [&](const std::string& dir) {
      for (size_t i = 0; i < dirs.size(); ++i) {
        if (absl::StripSuffix(dirs[i], "/") == absl::StripSuffix(dir, "/")) return static_cast<int>(i);
      }
      return -1;
    };
    const int sbin_at = position(options.sbin);
    const int real_at = position(DirName(real_runc));
    if (sbin_at < 0 || (real_at >= 0 && real_at < sbin_at)) {
      say(absl::StrCat("note: ", options.sbin, " must come before ", DirName(real_runc),
                       " in containerd's PATH (it does not in this shell's)"));
    }
  }

  // 4. systemd: the listener's unit, and containerd restarted.
  if (IsDirectory(options.systemd_dir)) {
    record.unit.path = InDir(options.unit_dir, kUnitName);
    const std::string unit = RenderListenerUnit(options.unit_template, InDir(options.prefix, "tardis-listen"),
                                                options.tardis_config, kDefaultConfigPath);
    if (absl::Status copy = SaveCopy(options.install_dir, kUnitInstalled, unit); !copy.ok()) return fail(copy);
    if (absl::Status moved = move_aside(record.unit.path, &record.unit.previous); !moved.ok()) return fail(moved);
    if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
    if (absl::Status made = MakeDirectoriesNoting(options.unit_dir, &record.created_dirs); !made.ok()) return fail(made);
    if (absl::Status written = ReplaceFile(record.unit.path, unit, 0644, ::geteuid(), ::getegid()); !written.ok()) {
      return fail(written);
    }
    say(absl::StrCat("installed ", record.unit.path));
    record.systemd = true;
    if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"daemon-reload"}, {"enable", "--now", kUnitName}}) {
      if (absl::Status ran = RunSystemctl(options.systemctl, args, say); !ran.ok()) return fail(ran);
    }
    if (options.mode == "config") {
      if (absl::Status ran = RunSystemctl(options.systemctl, {"restart", "containerd"}, say); !ran.ok()) return fail(ran);
    }
  } else if (options.mode == "config") {
    say(options.runtime_handler.empty()
            ? "systemd is not running: restart containerd to make it use tardis-runc"
            : absl::StrCat("systemd is not running: restart containerd to load the runtime ", options.runtime_handler));
  }
  if (absl::Status saved = SaveRecord(options.install_dir, record); !saved.ok()) return fail(saved);
  say(absl::StrCat("installed (--mode ", options.mode, "); `tardisctl uninstall --install-dir ", options.install_dir,
                   "` undoes it"));
  return absl::OkStatus();
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
  absl::Status undone = UndoInstall(*record, options.install_dir, options.systemctl, say);
  if (undone.ok()) say("uninstalled");
  return undone;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_H_
