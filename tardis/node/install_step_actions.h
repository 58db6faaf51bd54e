// Doing and undoing each install step (install_steps.h) on the node: the adapter between
// the plan and the files, symlinks and systemctl.
//
// Do journals first and acts second: it writes into the install record what it is about
// to change (and saves the record) before changing it, so that whatever happens next, the
// record names everything that may have changed. Undo therefore reads only the record,
// and copes with a step that stopped half-way. Whatever stood in the way of a file
// install puts somewhere is moved into the install directory, never overwritten.
#ifndef TARDIS_NODE_INSTALL_STEP_ACTIONS_H_
#define TARDIS_NODE_INSTALL_STEP_ACTIONS_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/strip.h>

#include "tardis/node/containerd_config_edit.h"
#include "tardis/node/install_options.h"
#include "tardis/node/install_record.h"
#include "tardis/node/install_steps.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/exec.h"
#include "tardis/sys/files.h"

namespace tardis::node {

// A symlink pointing at a file called tardis-runc: Tardis's own `runc` in PATH.
inline bool IsTardisRuncLink(const std::string& path) {
  const std::optional<std::string> target = SymlinkTarget(path);
  return target && BaseName(*target) == "tardis-runc";
}

// `systemctl args`, its failure explained with what systemctl wrote on stderr (hence
// RunCaptured in tardis/sys/exec.h: it captures stderr too).
inline absl::Status RunSystemctlCommand(const std::string& systemctl, const std::vector<std::string>& args,
                                        const Say& say) {
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

inline absl::Status SaveInstallRecord(const std::string& install_dir, const InstallRecord& record) {
  return ReplaceFile(InDir(install_dir, kInstallRecordName), SerializeInstallRecord(record),
                     0600, ::geteuid(), ::getegid());
}

// What a step's Do works with: the record it journals into, kept in the install
// directory.
class StepDoer {
 public:
  StepDoer(std::string install_dir, std::string systemctl, InstallRecord* record, Say say)
      : install_dir_(std::move(install_dir)), systemctl_(std::move(systemctl)), record_(record), say_(std::move(say)) {}

  absl::Status Do(const InstallStep& step) {
    return std::visit([this](const auto& s) { return DoStep(s); }, step);
  }

  absl::Status Save() { return SaveInstallRecord(install_dir_, *record_); }
  absl::Status MakeDirectories(const std::string& path) {
    return MakeDirectoriesNoting(path, &record_->created_dirs);
  }

 private:
  absl::Status SaveCopy(absl::string_view name, absl::string_view content) {
    return ReplaceFile(InDir(install_dir_, name), content, 0600, ::geteuid(), ::getegid());
  }

  // Moves whatever is at `path` into the backups, noting where in `previous`.
  absl::Status MoveAside(const std::string& path, std::string* previous) {
    if (!Exists(path)) return absl::OkStatus();
    const std::string backups = InDir(install_dir_, kBackupDir);
    if (absl::Status made = ::tardis::MakeDirectories(backups, 0700); !made.ok()) return made;
    const std::string to = InDir(backups, absl::StrCat(BaseName(DirName(path)), ".", BaseName(path)));
    if (Exists(to)) return absl::AlreadyExistsError(absl::StrCat(to, " exists; cannot move ", path, " aside"));
    if (absl::Status moved = MoveFile(path, to); !moved.ok()) return moved;
    *previous = to;
    say_(absl::StrCat("moved the previous ", path, " to ", to));
    return absl::OkStatus();
  }

  void SayAll(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) say_(line);
  }

  absl::Status DoStep(const PlaceFiles& step) {
    if (absl::Status made = MakeDirectories(step.dir); !made.ok()) return made;
    for (const std::string& name : step.names) {
      PlacedFile placed{InDir(step.dir, name), ""};
      if (absl::Status moved = MoveAside(placed.path, &placed.previous); !moved.ok()) return moved;
      record_->binaries.push_back(placed);
      if (absl::Status saved = Save(); !saved.ok()) return saved;
      if (absl::Status copied = CopyFile(InDir(step.from, name), placed.path, 0755); !copied.ok()) return copied;
    }
    say_(absl::StrCat("installed ", absl::StrJoin(step.names, ", "), " in ", step.dir));
    return absl::OkStatus();
  }

  absl::Status DoStep(const WriteIfAbsent& step) {
    record_->tardis_config = step.path;
    if (absl::Status made = MakeDirectories(DirName(step.path)); !made.ok()) return made;
    if (absl::Status copy = SaveCopy(step.copy_name, step.text); !copy.ok()) return copy;
    record_->tardis_config_written = true;
    if (absl::Status saved = Save(); !saved.ok()) return saved;
    if (absl::Status written = ReplaceFile(step.path, step.text, 0644, ::geteuid(), ::getegid()); !written.ok()) {
      return written;
    }
    SayAll(step.done);
    return absl::OkStatus();
  }

  absl::Status DoStep(const EditContainerdConfig& step) {
    record_->containerd_config = step.path;
    record_->containerd_config_existed = step.original.has_value();
    if (step.original) {
      if (absl::Status copy = SaveCopy(kContainerdConfigOriginal, *step.original); !copy.ok()) return copy;
    } else if (absl::Status made = MakeDirectories(DirName(step.path)); !made.ok()) {
      return made;
    }
    if (absl::Status copy = SaveCopy(kContainerdConfigInstalled, step.text); !copy.ok()) return copy;
    if (absl::Status saved = Save(); !saved.ok()) return saved;
    if (absl::Status written = ReplaceFileKeepingMode(step.path, step.text, 0644); !written.ok()) return written;
    SayAll(step.done);
    return absl::OkStatus();
  }

  absl::Status DoStep(const LinkRunc& step) {
    record_->runc_link.path = step.link;
    if (step.replace_ours) {
      if (absl::Status removed = RemoveFile(step.link); !removed.ok()) return removed;
    } else if (absl::Status moved = MoveAside(step.link, &record_->runc_link.previous); !moved.ok()) {
      return moved;
    }
    if (absl::Status saved = Save(); !saved.ok()) return saved;
    if (absl::Status made = MakeDirectories(DirName(step.link)); !made.ok()) return made;
    if (::symlink(step.target.c_str(), step.link.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("symlink ", step.link));
    }
    SayAll(step.done);
    return absl::OkStatus();
  }

  absl::Status DoStep(const InstallUnit& step) {
    record_->unit.path = step.path;
    if (absl::Status copy = SaveCopy(kUnitInstalled, step.text); !copy.ok()) return copy;
    if (absl::Status moved = MoveAside(step.path, &record_->unit.previous); !moved.ok()) return moved;
    if (absl::Status saved = Save(); !saved.ok()) return saved;
    if (absl::Status made = MakeDirectories(DirName(step.path)); !made.ok()) return made;
    if (absl::Status written = ReplaceFile(step.path, step.text, 0644, ::geteuid(), ::getegid()); !written.ok()) {
      return written;
    }
    say_(absl::StrCat("installed ", step.path));
    return absl::OkStatus();
  }

  absl::Status DoStep(const RunSystemctl& step) {
    if (!record_->systemd) {
      record_->systemd = true;
      if (absl::Status saved = Save(); !saved.ok()) return saved;
    }
    if (step.args.empty()) return absl::OkStatus();
    return RunSystemctlCommand(systemctl_, step.args, say_);
  }

  absl::Status DoStep(const Tell& step) {
    SayAll(step.lines);
    return absl::OkStatus();
  }

  std::string install_dir_;
  std::string systemctl_;
  InstallRecord* record_;
  Say say_;
};

// What a step's Undo works with: the record (only), the install directory's copies, and
// the problems so far. A step that cannot be undone is told and the rest still happens;
// the first problem is what uninstall returns.
class StepUndoer {
 public:
  StepUndoer(std::string install_dir, std::string systemctl, const InstallRecord* record, Say say)
      : install_dir_(std::move(install_dir)), systemctl_(std::move(systemctl)), record_(record), say_(std::move(say)) {}

  void Undo(const InstallStep& step) {
    std::visit([this](const auto& s) { UndoStep(s); }, step);
  }

  void Note(const absl::Status& status) {
    if (status.ok()) return;
    say_(absl::StrCat("problem: ", status.message()));
    if (first_.ok()) first_ = status;
  }
  const absl::Status& first_problem() const { return first_; }

 private:
  std::optional<std::string> InstalledCopy(absl::string_view name) const {
    absl::StatusOr<std::optional<std::string>> copy = ReadIfExists(InDir(install_dir_, name));
    return copy.ok() ? *copy : std::nullopt;
  }

  // Restores a file install moved aside; `path` must be free.
  static absl::Status PutBack(const std::string& previous, const std::string& path) {
    if (previous.empty()) return absl::OkStatus();
    if (Exists(path)) return absl::AlreadyExistsError(absl::StrCat(path, " is taken; ", previous, " stays where it is"));
    return MoveFile(previous, path);
  }

  void UndoStep(const PlaceFiles&) {
    std::vector<std::string> removed;
    for (const PlacedFile& file : record_->binaries) {
      Note(RemoveFile(file.path));
      removed.push_back(BaseName(file.path));
      const absl::Status back = PutBack(file.previous, file.path);
      Note(back);
      if (back.ok() && !file.previous.empty()) say_(absl::StrCat("put back the previous ", file.path));
    }
    if (!removed.empty()) say_(absl::StrCat("removed ", absl::StrJoin(removed, ", "), " from ", record_->prefix));
  }

  // A file install wrote where there was none goes, unless someone changed it since.
  void UndoStep(const WriteIfAbsent& step) {
    if (!record_->tardis_config_written) return;
    const std::string& path = record_->tardis_config;
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(path);
    const std::optional<std::string> installed = InstalledCopy(step.copy_name);
    if (current.ok() && *current && installed && **current == *installed) {
      Note(RemoveFile(path));
      say_(absl::StrCat("removed ", path));
    } else if (current.ok() && *current) {
      say_(absl::StrCat(path, " was changed since install: left in place"));
    }
  }

  // containerd's config comes back byte for byte, or, when someone changed it since, only
  // the lines install marked are taken out.
  void UndoStep(const EditContainerdConfig&) {
    if (record_->containerd_config.empty()) return;
    const std::string& path = record_->containerd_config;
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(path);
    const std::optional<std::string> installed = InstalledCopy(kContainerdConfigInstalled);
    if (!current.ok()) {
      Note(current.status());
    } else if (!*current) {
      say_(absl::StrCat(path, " is gone: nothing to restore"));
    } else if (installed && **current == *installed) {
      if (record_->containerd_config_existed) {
        const std::optional<std::string> original = InstalledCopy(kContainerdConfigOriginal);
        if (!original) {
          Note(absl::DataLossError(absl::StrCat("the copy of ", path, " from before install is missing")));
        } else {
          const absl::Status restored = ReplaceFileKeepingMode(path, *original, 0644);
          Note(restored);
          if (restored.ok()) say_(absl::StrCat("restored ", path, " as it was before install"));
        }
      } else {
        const absl::Status removed = RemoveFile(path);
        Note(removed);
        if (removed.ok()) say_(absl::StrCat("removed ", path, " (install created it)"));
      }
    } else {
      const ContainerdConfigUndo undo = RemoveTardisLines(**current);
      if (undo.removed_lines + undo.restored_lines + undo.kept_headers == 0) {
        say_(absl::StrCat(path, " was changed since install and holds no line of tardisctl's: left as it is"));
      } else if (undo.text.empty() && !record_->containerd_config_existed) {
        Note(RemoveFile(path));
        say_(absl::StrCat(path,
                          " was changed since install, but only by tardisctl's lines: removed it (install created it)"));
      } else {
        const absl::Status written = ReplaceFileKeepingMode(path, undo.text, 0644);
        Note(written);
        if (written.ok()) {
          say_(absl::StrCat(
              path, " was changed since install: took out only the lines tardisctl install marked (",
              undo.removed_lines, " removed, ", undo.restored_lines, " restored",
              undo.kept_headers ? absl::StrCat(", ", undo.kept_headers, " table headers kept: keys of yours are under them")
                                : "",
              "); everything else is as it is now"));
        }
      }
    }
  }

  void UndoStep(const LinkRunc&) {
    if (record_->runc_link.path.empty()) return;
    const std::string& link = record_->runc_link.path;
    if (IsTardisRuncLink(link)) {
      Note(RemoveFile(link));
      say_(absl::StrCat("removed the symlink ", link));
    } else if (Exists(link)) {
      say_(absl::StrCat(link, " is no longer Tardis's symlink: left as it is"));
    }
    if (!record_->runc_link.previous.empty()) {
      const absl::Status back = PutBack(record_->runc_link.previous, link);
      Note(back);
      if (back.ok()) say_(absl::StrCat("put back the previous ", link));
    }
  }

  void UndoStep(const InstallUnit&) {
    if (record_->unit.path.empty()) return;
    const std::string& path = record_->unit.path;
    absl::StatusOr<std::optional<std::string>> current = ReadIfExists(path);
    const std::optional<std::string> installed = InstalledCopy(kUnitInstalled);
    if (current.ok() && *current && installed && **current == *installed) {
      Note(RemoveFile(path));
      say_(absl::StrCat("removed ", path));
      Note(PutBack(record_->unit.previous, path));
    } else if (current.ok() && !*current) {
      Note(PutBack(record_->unit.previous, path));
    } else {
      say_(absl::StrCat(path, " was changed since install: left in place"));
    }
  }

  void UndoStep(const RunSystemctl& step) {
    if (step.undo_args.empty()) return;
    const absl::Status ran = RunSystemctlCommand(systemctl_, step.undo_args, say_);
    if (step.undo_best_effort) {
      if (!ran.ok()) say_(absl::StrCat("problem: ", ran.message()));
      return;
    }
    Note(ran);
  }

  void UndoStep(const Tell& step) {
    for (const std::string& line : step.undo_lines) say_(line);
  }

  std::string install_dir_;
  std::string systemctl_;
  const InstallRecord* record_;
  Say say_;
  absl::Status first_;
};

// Closes the journal once every step is undone: the install directory's own files go,
// then every directory install made, innermost first (each only if empty).
inline void RemoveInstallJournal(const InstallRecord& record, const std::string& install_dir, StepUndoer& undoer) {
  for (const char* name : {kContainerdConfigOriginal, kContainerdConfigInstalled, kTardisConfigInstalled,
                           kUnitInstalled, kInstallRecordName}) {
    undoer.Note(RemoveFile(InDir(install_dir, name)));
  }
  ::rmdir(InDir(install_dir, kBackupDir).c_str());
  for (auto dir = record.created_dirs.rbegin(); dir != record.created_dirs.rend(); ++dir) ::rmdir(dir->c_str());
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_STEP_ACTIONS_H_
