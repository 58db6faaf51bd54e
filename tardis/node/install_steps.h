// The kinds of change `tardisctl install` makes to a node, as data: the planner
// (install_plan.h) lists them, install_step_actions.h does and undoes each, and the apply
// loop (install_apply.h) runs them in order. Each step names everything its Do needs;
// its Undo needs only what the install record says the step did, so a record written by
// an older tardisctl is undone by the same code.
//
// Also the plan's text form, for reading a plan (and for its golden tests).
#ifndef TARDIS_NODE_INSTALL_STEPS_H_
#define TARDIS_NODE_INSTALL_STEPS_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

namespace tardis::node {

// `name` in the directory `dir`: how install names every file it places.
inline std::string InDir(const std::string& dir, absl::string_view name) { return absl::StrCat(dir, "/", name); }

// Copies the files `names` from `from` into `dir` (mode 0755); whatever stood at one of
// their places is moved into the install directory's backups first.
// Journal: record.binaries.
struct PlaceFiles {
  std::string from;
  std::string dir;
  std::vector<std::string> names;
};

// Writes `text` at `path`, where there was no file, and keeps a copy as `copy_name` in the
// install directory: uninstall removes the file only if nobody changed it since.
// Journal: record.tardis_config, record.tardis_config_written (the record knows only
// tardis.conf).
struct WriteIfAbsent {
  std::string path;
  std::string text;
  std::string copy_name;
  std::vector<std::string> done;  // what to say once it is written
};

// Replaces containerd's config with `text` (its edit, containerd_config_edit.h), keeping
// the `original` (nullopt: there was none, so the edit creates it).
// Journal: record.containerd_config, record.containerd_config_existed.
struct EditContainerdConfig {
  std::string path;
  std::optional<std::string> original;
  std::string text;
  std::vector<std::string> done;
};

// Makes `link` a symlink to `target` (tardis-runc). A stale link of Tardis's own is
// replaced; anything else there is moved aside (the planner has refused it unless forced).
// Journal: record.runc_link.
struct LinkRunc {
  std::string link;
  std::string target;
  bool replace_ours = false;
  std::vector<std::string> done;
};

// Writes the tardis-listen unit at `path` (a copy is kept, as for WriteIfAbsent); a unit
// already there is moved aside. Journal: record.unit.
struct InstallUnit {
  std::string path;
  std::string text;
};

// Runs `systemctl args` (nothing when empty); its undo runs `systemctl undo_args`.
// Journal: record.systemd.
struct RunSystemctl {
  std::vector<std::string> args;
  std::vector<std::string> undo_args;
  // A reload: it loads what the other undos put back, so its undo comes after theirs.
  bool undo_last = false;
  // The unit may already be stopped or gone: a failure is told, and uninstall goes on.
  bool undo_best_effort = false;
};

// Only tells the operator something (what to do by hand, what was kept), when done and
// when undone.
struct Tell {
  std::vector<std::string> lines;
  std::vector<std::string> undo_lines;
  bool undo_last = false;  // as RunSystemctl's: advice about a reload
};

using InstallStep = std::variant<PlaceFiles, WriteIfAbsent, EditContainerdConfig, LinkRunc, InstallUnit,
                                 RunSystemctl, Tell>;

// Whether the step's undo waits until every other done step is undone.
inline bool UndoneLast(const InstallStep& step) {
  if (const auto* run = std::get_if<RunSystemctl>(&step)) return run->undo_last;
  if (const auto* tell = std::get_if<Tell>(&step)) return tell->undo_last;
  return false;
}

namespace install_steps_internal {

inline void AddLines(std::vector<std::string>* out, absl::string_view label, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) out->push_back(absl::StrCat("  ", label, ": ", line));
}

// A step rebuilt from an install record has no text: only its undo is ever run.
inline void AddText(std::vector<std::string>* out, absl::string_view text) {
  if (text.empty()) return;
  for (absl::string_view line : absl::StrSplit(absl::StripSuffix(text, "\n"), '\n')) {
    out->push_back(absl::StrCat("  | ", line));
  }
}

}  // namespace install_steps_internal

// One step as a few lines: what it does, then what it says ("says:", and "undo says:").
inline std::vector<std::string> DescribeStep(const InstallStep& step) {
  using namespace install_steps_internal;
  std::vector<std::string> out;
  struct Describe {
    std::vector<std::string>* out;
    void operator()(const PlaceFiles& s) const {
      out->push_back(absl::StrCat("place ", absl::StrJoin(s.names, ", "), s.from.empty() ? "" : " from ", s.from, " in ",
                                  s.dir));
    }
    void operator()(const WriteIfAbsent& s) const {
      out->push_back(absl::StrCat("write ", s.path, " (none there; copy kept as ", s.copy_name, ")"));
      AddText(out, s.text);
      AddLines(out, "says", s.done);
    }
    void operator()(const EditContainerdConfig& s) const {
      out->push_back(absl::StrCat(s.original ? "edit " : "create ", s.path));
      AddLines(out, "says", s.done);
    }
    void operator()(const LinkRunc& s) const {
      out->push_back(absl::StrCat("link ", s.link, " -> ", s.target,
                                  s.replace_ours ? " (replacing Tardis's own link)" : ""));
      AddLines(out, "says", s.done);
    }
    void operator()(const InstallUnit& s) const {
      out->push_back(absl::StrCat("install the unit ", s.path));
      AddText(out, s.text);
    }
    void operator()(const RunSystemctl& s) const {
      out->push_back(absl::StrCat(s.args.empty() ? "(nothing)" : absl::StrCat("systemctl ", absl::StrJoin(s.args, " ")),
                                  "; undo: ",
                                  s.undo_args.empty() ? "(nothing)"
                                                      : absl::StrCat("systemctl ", absl::StrJoin(s.undo_args, " ")),
                                  s.undo_last ? " (after the other undos)" : "",
                                  s.undo_best_effort ? " (a failure is only told)" : ""));
    }
    void operator()(const Tell& s) const {
      out->push_back(absl::StrCat("tell", s.undo_last ? " (undo: after the other undos)" : ""));
      AddLines(out, "says", s.lines);
      AddLines(out, "undo says", s.undo_lines);
    }
  };
  std::visit(Describe{&out}, step);
  return out;
}

// A plan as text: its steps numbered in order.
inline std::string DescribeSteps(const std::vector<InstallStep>& steps) {
  std::string text;
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::vector<std::string> lines = DescribeStep(steps[i]);
    for (size_t j = 0; j < lines.size(); ++j) {
      absl::StrAppend(&text, j == 0 ? absl::StrCat(i + 1, ". ") : "", lines[j], "\n");
    }
  }
  return text;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_STEPS_H_
