// Making containerd's CRI plugin run tardis-runc as its runc, by editing config.toml as
// text, and taking that edit back out.
//
// containerd 1.6/1.7 read runc's binary from the runc runtime's options:
//   config v2 (`version = 2`): [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
//   config v1 (no version):    [plugins.cri.containerd.runtimes.runc.options]
//   config v3 (containerd 2):  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
// with `BinaryName = "<path>"`. The edit touches as little as it can, and marks every
// line it touches, so that uninstall can take out exactly its own lines even when the
// file was edited by someone else in between:
//  - the options table exists: the BinaryName line goes right under its header; a
//    BinaryName already there is commented out with kReplacedPrefix in front of it;
//  - it does not: the table is appended at the end (preceded by the runc table with its
//    runtime_type when nothing configures runc at all: a runc table of options alone
//    would leave containerd's runtime_type empty);
//  - the file does not exist: it is created as a v2 file.
// Added lines end with kAddedMarker. Line endings (LF or CRLF) follow the file's own;
// a file without a final newline still ends without one.
// A config that sets runc's options another way (inline tables, dotted keys) is refused:
// appending a table there would make containerd fail to start.
//
// Two readers, each for what it is sure of: toml++ (containerd_config_toml.h) reads the
// config as containerd will (its version, whether runc is configured, which line is the
// header of the table to edit) and refuses what is not TOML; the line reader (toml_lines.h)
// says what each line is, so that the edit can touch lines and leave every other byte.
// Before an edit is returned, toml++ reads the result: it must be exactly the original
// with the intended keys set (BinaryName, and runtime_type or the runtime's copy of runc's
// settings), else the edit is refused and nothing is written.
//
// `install --runtime-handler NAME` instead leaves runc alone and adds a runtime of its own
// (AddTardisRuntime), so that only pods whose RuntimeClass has `handler: NAME` run
// through Tardis:
//   [<same prefix>.containerd.runtimes.NAME]          runc's settings, copied
//   [<same prefix>.containerd.runtimes.NAME.options]  BinaryName = tardis-runc, and
//                                                     runc's other options, copied
// runc's settings are copied (key lines as they are, BinaryName left out) because the
// new runtime must behave like runc in every other respect: SystemdCgroup above all
// (it must match the kubelet's cgroup driver), and Root, runtime_path, base_runtime_spec.
// When nothing configures runc, the runtime gets runtime_type "io.containerd.runc.v2".
// The tables are appended at the end of the file, every line marked as above; a config
// that already has a runtime of that name, or that sets runc's settings in a way that
// cannot be copied line by line (values over several lines, dotted keys or inline tables
// outside runc's two tables), is refused.
#ifndef TARDIS_NODE_CONTAINERD_CONFIG_EDIT_H_
#define TARDIS_NODE_CONTAINERD_CONFIG_EDIT_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/node/containerd_config_toml.h"
#include "tardis/node/toml_lines.h"

namespace tardis::node {

inline constexpr char kAddedMarker[] = "# added by tardisctl install";
inline constexpr char kReplacedPrefix[] = "#replaced by tardisctl install: ";

struct ContainerdConfigEdit {
  std::string text;
  int version = 0;                // 1, 2 or 3: the config format found (or written)
  std::string options_table;      // the options table's name (of runc, or of the added runtime)
  std::string runtime_table;      // AddTardisRuntime: the added runtime's table
  int copied_lines = 0;           // AddTardisRuntime: runc's key lines copied
  bool appended_table = false;    // the options table was added
  bool appended_runc_table = false;
  int replaced_lines = 0;         // BinaryName lines commented out
};

namespace containerd_config_internal {

inline std::vector<std::string> RuntimePath(int version, const std::string& name) {
  if (version == 1) return {"plugins", "cri", "containerd", "runtimes", name};
  if (version == 2) return {"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", name};
  return {"plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", name};
}

inline std::vector<std::string> RuncPath(int version) { return RuntimePath(version, "runc"); }

inline bool StartsWithPath(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  if (prefix.size() > path.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (path[i] != prefix[i]) return false;
  }
  return true;
}

inline std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A TOML basic string holding `value`.
inline absl::StatusOr<std::string> BasicString(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return absl::InvalidArgumentError("the path has a control character");
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

inline bool IsTardisLine(absl::string_view content) {
  return absl::EndsWith(content, kAddedMarker) || absl::StartsWith(content, kReplacedPrefix);
}

// A config read for editing: its lines, what each is, its line ending and its version.
// tardis-runc's path as a TOML basic string; it must be absolute (containerd resolves
// a relative BinaryName against its own PATH).
inline absl::StatusOr<std::string> QuotedBinary(absl::string_view binary) {
  if (binary.empty() || binary.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("the runc binary must be an absolute path: ", binary));
  }
  return BasicString(binary);
}

struct ParsedConfig {
  std::vector<toml::Line> lines;
  std::vector<toml::ClassifiedLine> classified;
  std::string eol;
  int version = 1;
  ::toml::table root;  // as toml++ reads it (empty when it cannot)
  // Why toml++ cannot read it. Returned after the line-level refusals, which say more
  // precisely what tardisctl will not edit.
  absl::Status not_toml;
};

// Refuses what is not TOML to the line reader, a config already holding tardisctl's
// lines, and config versions it does not know. A file that does not exist will be a v2
// file.
inline absl::StatusOr<ParsedConfig> ParseForEdit(absl::string_view text, bool exists) {
  using toml::LineKind;
  ParsedConfig config;
  config.lines = toml::SplitLines(text);
  absl::StatusOr<std::vector<toml::ClassifiedLine>> classified = toml::ClassifyLines(config.lines);
  if (!classified.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read it as TOML: ", classified.status().message()));
  }
  config.classified = *std::move(classified);
  config.eol = toml::LineEndingOf(config.lines);
  if (absl::StatusOr<::toml::table> root = containerd_toml::Parse(text); root.ok()) {
    config.root = *std::move(root);
  } else {
    config.not_toml = absl::InvalidArgumentError(absl::StrCat("cannot read it as TOML: ", root.status().message()));
  }
  containerd_toml::Version version = containerd_toml::VersionOf(config.root);
  for (size_t i = 0; i < config.lines.size(); ++i) {
    const toml::ClassifiedLine& line = config.classified[i];
    if (IsTardisLine(config.lines[i].content)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "line ", i + 1, " is already tardisctl install's: run tardisctl uninstall first (or remove the marked lines)"));
    }
    // A file toml++ cannot read is refused, but the line-level refusals, which need the
    // version, say more: its `version` line, read alone.
    if (!config.not_toml.ok() && line.kind == LineKind::kKey && line.table.empty() &&
        line.key == std::vector<std::string>{"version"}) {
      absl::StatusOr<::toml::table> alone = containerd_toml::Parse(config.lines[i].content);
      version = alone.ok() ? containerd_toml::VersionOf(*alone) : containerd_toml::Version{true, std::nullopt, 1};
      version.line = i + 1;
    }
    if (version.present && version.line == i + 1) {
      if (!version.value || *version.value < 1 || *version.value > 3) {
        return absl::FailedPreconditionError(absl::StrCat(
            "line ", i + 1, ": a config version this tardisctl does not know: ", config.lines[i].content));
      }
      config.version = static_cast<int>(*version.value);
    }
  }
  if (!exists) config.version = 2;
  return config;
}

// The edit, when toml++ reads its text as exactly `intended`; else the refusal.
inline absl::StatusOr<ContainerdConfigEdit> Verified(ContainerdConfigEdit edit, const ::toml::table& intended,
                                                     absl::string_view intent) {
  if (absl::Status verified = containerd_toml::VerifyEdit(edit.text, intended, intent); !verified.ok()) {
    return verified;
  }
  return edit;
}

}  // namespace containerd_config_internal

// A runtime handler's name: what a RuntimeClass's `handler` may be (a DNS label), and a
// plain TOML key.
inline absl::Status ValidateRuntimeHandler(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the runtime handler must be a DNS label (lower-case letters, digits and '-', at most 63), not `", name, "`"));
  }
  if (name == "runc") {
    return absl::InvalidArgumentError(
        "the runtime handler cannot be runc, containerd's own: install without --runtime-handler to make runc "
        "tardis-runc");
  }
  return absl::OkStatus();
}

// `text`: the config's content ("" when `exists` is false). `binary`: the absolute path
// containerd is to run as runc.
inline absl::StatusOr<ContainerdConfigEdit> SetRuncBinaryName(absl::string_view text, bool exists,
                                                              absl::string_view binary) {
  using namespace containerd_config_internal;
  using toml::LineKind;
  absl::StatusOr<std::string> quoted = QuotedBinary(binary);
  if (!quoted.ok()) return quoted.status();
  absl::StatusOr<ParsedConfig> parsed = ParseForEdit(text, exists);
  if (!parsed.ok()) return parsed.status();
  std::vector<toml::Line>& lines = parsed->lines;
  const std::vector<toml::ClassifiedLine>* classified = &parsed->classified;
  const std::string& eol = parsed->eol;

  ContainerdConfigEdit edit;
  edit.version = parsed->version;

  const std::vector<std::string> runc = RuncPath(edit.version);
  const std::vector<std::string> options = Join(runc, {"options"});
  edit.options_table = toml::DottedName(options);

  // What would clash: runc's options set another way than by their own table.
  std::optional<size_t> seen_header;
  for (size_t i = 0; i < lines.size(); ++i) {
    const toml::ClassifiedLine& line = (*classified)[i];
    const auto clash = [&] {
      return absl::FailedPreconditionError(absl::StrCat(
          "line ", i + 1, " sets runc's options in a way tardisctl cannot edit safely (", lines[i].content,
          "): set BinaryName = ", *quoted, " in ", edit.options_table, " yourself, or use --mode path"));
    };
    if (line.kind == LineKind::kTable || line.kind == LineKind::kArrayTable) {
      if (line.table == options) {
        if (line.kind == LineKind::kArrayTable || seen_header) return clash();
        seen_header = i;
      }
      if (line.kind == LineKind::kArrayTable && StartsWithPath(options, line.table)) return clash();
    } else if (line.kind == LineKind::kKey) {
      const std::vector<std::string> full = Join(line.table, line.key);
      if (line.table == options) continue;
      // An inline table or dotted key defining the options table, or something in it.
      if (StartsWithPath(options, full) || StartsWithPath(full, options)) return clash();
    }
  }
  if (!parsed->not_toml.ok()) return parsed->not_toml;

  // Whether anything configures runc, and which line is the options table's header: as
  // toml++ reads the file, the line reader confirming that the line is that header.
  const bool runc_configured = containerd_toml::At(parsed->root, runc) != nullptr;
  std::optional<size_t> header;
  if (const std::optional<size_t> line = containerd_toml::TableLine(parsed->root, options);
      line && *line >= 1 && *line <= lines.size() && (*classified)[*line - 1].kind == LineKind::kTable &&
      (*classified)[*line - 1].table == options) {
    header = *line - 1;
  }
  if (header != seen_header) {
    return absl::FailedPreconditionError(absl::StrCat("tardisctl cannot tell where ", edit.options_table,
                                                      " is in this config: set BinaryName = ", *quoted,
                                                      " there yourself, or use --mode path"));
  }

  // What the edit must read as: the original with BinaryName set (and runc's
  // runtime_type where nothing configured runc, and the version in a new file).
  ::toml::table intended = parsed->root;
  if (!exists) intended.insert_or_assign("version", int64_t{2});
  if (!runc_configured) {
    if (::toml::table* runc_table = containerd_toml::TableAt(intended, runc); runc_table != nullptr) {
      runc_table->insert_or_assign("runtime_type", "io.containerd.runc.v2");
    }
  }
  if (::toml::table* options_table = containerd_toml::TableAt(intended, options); options_table != nullptr) {
    options_table->insert_or_assign("BinaryName", std::string(binary));
  }
  const std::string intent = absl::StrCat("BinaryName = ", *quoted, " in ", edit.options_table);

  const std::string added = absl::StrCat(" ", kAddedMarker);
  if (header) {
    // Existing BinaryName lines in the table are commented out where they stand.
    std::optional<std::string> indent;
    for (size_t i = *header + 1; i < lines.size(); ++i) {
      const toml::ClassifiedLine& line = (*classified)[i];
      if (line.kind == LineKind::kTable || line.kind == LineKind::kArrayTable) break;
      if (line.kind != LineKind::kKey) continue;
      if (!indent) indent = line.indent;
      if (line.key == std::vector<std::string>{"BinaryName"}) {
        if (line.value_continues) {
          return absl::FailedPreconditionError(
              absl::StrCat("line ", i + 1, ": BinaryName's value spans several lines; edit it yourself"));
        }
        lines[i].content = absl::StrCat(kReplacedPrefix, lines[i].content);
        ++edit.replaced_lines;
      }
    }
    if (!indent) indent = absl::StrCat((*classified)[*header].indent, "  ");
    toml::Line ours{absl::StrCat(*indent, "BinaryName = ", *quoted, added), lines[*header].ending};
    if (ours.ending.empty()) lines[*header].ending = eol;  // the header was the last line
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(*header) + 1, std::move(ours));
    edit.text = toml::JoinLines(lines);
    return Verified(std::move(edit), intended, intent);
  }

  // Appended at the end, the file's last line keeping "no final newline" if it had that.
  const bool final_newline = lines.empty() || !lines.back().ending.empty();
  if (!lines.empty() && lines.back().ending.empty()) lines.back().ending = eol;
  if (!exists) lines.push_back({absl::StrCat("version = 2", added), eol});
  if (!runc_configured) {
    lines.push_back({absl::StrCat("[", toml::DottedName(runc), "]", added), eol});
    lines.push_back({absl::StrCat("  runtime_type = \"io.containerd.runc.v2\"", added), eol});
    edit.appended_runc_table = true;
  }
  lines.push_back({absl::StrCat("[", edit.options_table, "]", added), eol});
  lines.push_back({absl::StrCat("  BinaryName = ", *quoted, added), final_newline ? eol : ""});
  edit.appended_table = true;
  edit.text = toml::JoinLines(lines);
  return Verified(std::move(edit), intended, intent);
}

// `text`: the config's content ("" when `exists` is false). `handler`: the runtime's name
// (ValidateRuntimeHandler). `binary`: the absolute path of tardis-runc.
inline absl::StatusOr<ContainerdConfigEdit> AddTardisRuntime(absl::string_view text, bool exists,
                                                             absl::string_view handler, absl::string_view binary) {
  using namespace containerd_config_internal;
  using toml::LineKind;
  if (absl::Status valid = ValidateRuntimeHandler(handler); !valid.ok()) return valid;
  absl::StatusOr<std::string> quoted = QuotedBinary(binary);
  if (!quoted.ok()) return quoted.status();
  absl::StatusOr<ParsedConfig> parsed = ParseForEdit(text, exists);
  if (!parsed.ok()) return parsed.status();
  std::vector<toml::Line>& lines = parsed->lines;
  const std::vector<toml::ClassifiedLine>& classified = parsed->classified;

  ContainerdConfigEdit edit;
  edit.version = parsed->version;
  const std::vector<std::string> runtime = RuntimePath(edit.version, std::string(handler));
  const std::vector<std::string> options = Join(runtime, {"options"});
  const std::vector<std::string> runc = RuncPath(edit.version);
  const std::vector<std::string> runc_options = Join(runc, {"options"});
  edit.runtime_table = toml::DottedName(runtime);
  edit.options_table = toml::DottedName(options);

  // runc's key lines, to copy: those of its table, then those of its options table.
  std::vector<std::string> runtime_keys;
  std::vector<std::string> option_keys;
  bool has_runtime_type = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const toml::ClassifiedLine& line = classified[i];
    const auto refuse = [&](absl::string_view why) {
      return absl::FailedPreconditionError(absl::StrCat("line ", i + 1, " ", why, " (", lines[i].content, ")"));
    };
    if (line.kind == LineKind::kTable || line.kind == LineKind::kArrayTable) {
      if (StartsWithPath(line.table, runtime)) {
        return refuse(absl::StrCat("already configures a runtime named ", handler,
                                   ": pick another --runtime-handler, or remove it first"));
      }
      if (StartsWithPath(line.table, runc) && line.table != runc && line.table != runc_options) {
        return refuse("configures runc in a table tardisctl cannot copy: configure the runtime yourself");
      }
      if (line.kind == LineKind::kArrayTable && (line.table == runc || line.table == runc_options)) {
        return refuse("configures runc in a table tardisctl cannot copy: configure the runtime yourself");
      }
      continue;
    }
    if (line.kind != LineKind::kKey) continue;
    const std::vector<std::string> full = Join(line.table, line.key);
    if (StartsWithPath(full, runtime)) {
      return refuse(absl::StrCat("already configures a runtime named ", handler,
                                 ": pick another --runtime-handler, or remove it first"));
    }
    // An inline table holding the runtimes (or a table above): no table can be added there.
    if (StartsWithPath(runtime, full)) {
      return refuse("defines the runtimes in a way tardisctl cannot add to: configure the runtime yourself");
    }
    const bool in_runc = line.table == runc;
    const bool in_runc_options = line.table == runc_options;
    if (!in_runc && !in_runc_options) {
      if (StartsWithPath(full, runc)) {
        return refuse("configures runc in a way tardisctl cannot copy: configure the runtime yourself");
      }
      continue;
    }
    if (in_runc && StartsWithPath(full, runc_options)) {
      return refuse("sets runc's options in a way tardisctl cannot copy: configure the runtime yourself");
    }
    if (line.value_continues) {
      return refuse("has a value over several lines, which tardisctl does not copy: configure the runtime yourself");
    }
    const std::string key_line(absl::StripLeadingAsciiWhitespace(lines[i].content));
    if (in_runc) {
      if (line.key == std::vector<std::string>{"runtime_type"}) has_runtime_type = true;
      runtime_keys.push_back(key_line);
    } else if (line.key != std::vector<std::string>{"BinaryName"}) {
      option_keys.push_back(key_line);
    }
  }
  if (!parsed->not_toml.ok()) return parsed->not_toml;

  const std::string added = absl::StrCat(" ", kAddedMarker);
  const std::string& eol = parsed->eol;
  const bool final_newline = lines.empty() || !lines.back().ending.empty();
  if (!lines.empty() && lines.back().ending.empty()) lines.back().ending = eol;
  if (!exists) lines.push_back({absl::StrCat("version = 2", added), eol});
  lines.push_back({absl::StrCat("[", edit.runtime_table, "]", added), eol});
  if (!has_runtime_type) lines.push_back({absl::StrCat("  runtime_type = \"io.containerd.runc.v2\"", added), eol});
  for (const std::string& key : runtime_keys) lines.push_back({absl::StrCat("  ", key, added), eol});
  lines.push_back({absl::StrCat("[", edit.options_table, "]", added), eol});
  lines.push_back({absl::StrCat("  BinaryName = ", *quoted, added), eol});
  for (const std::string& key : option_keys) lines.push_back({absl::StrCat("  ", key, added), eol});
  if (!final_newline) lines.back().ending.clear();
  edit.appended_table = true;
  edit.copied_lines = static_cast<int>(runtime_keys.size() + option_keys.size());
  edit.text = toml::JoinLines(lines);

  // What the edit must read as: the original and a new runtime whose settings are runc's
  // (runtime_type defaulted), whose options are runc's with BinaryName = tardis-runc.
  ::toml::table intended = parsed->root;
  if (!exists) intended.insert_or_assign("version", int64_t{2});
  ::toml::table* new_runtime = containerd_toml::TableAt(intended, runtime);
  ::toml::table* new_options = containerd_toml::TableAt(intended, options);
  if (new_runtime != nullptr && new_options != nullptr) {
    if (const ::toml::node* runc_node = containerd_toml::At(parsed->root, runc); runc_node && runc_node->is_table()) {
      for (const auto& [key, value] : *runc_node->as_table()) {
        if (key.str() != "options") new_runtime->insert_or_assign(key.str(), value);
      }
    }
    if (!new_runtime->contains("runtime_type")) new_runtime->insert_or_assign("runtime_type", "io.containerd.runc.v2");
    if (const ::toml::node* runc_node = containerd_toml::At(parsed->root, runc_options);
        runc_node && runc_node->is_table()) {
      for (const auto& [key, value] : *runc_node->as_table()) new_options->insert_or_assign(key.str(), value);
    }
    new_options->insert_or_assign("BinaryName", std::string(binary));
  }
  return Verified(std::move(edit), intended,
                  absl::StrCat("a runtime ", handler, " with runc's settings and BinaryName = ", *quoted, " in ",
                               edit.options_table));
}

struct ContainerdConfigUndo {
  std::string text;
  int removed_lines = 0;
  int restored_lines = 0;
  int kept_headers = 0;  // added table headers kept because someone put keys under them
};

// Takes out every line SetRuncBinaryName() marked: added lines go, commented-out ones
// come back. An added table header under which someone has since put keys of their own
// stays (without its marker), so those keys stay in their table.
inline ContainerdConfigUndo RemoveTardisLines(absl::string_view text) {
  using namespace containerd_config_internal;
  std::vector<toml::Line> lines = toml::SplitLines(text);
  const auto is_added = [](absl::string_view content) { return absl::EndsWith(content, kAddedMarker); };
  const auto is_header = [](absl::string_view content) {
    const absl::string_view stripped = absl::StripLeadingAsciiWhitespace(content);
    return absl::StartsWith(stripped, "[");
  };
  ContainerdConfigUndo undo;
  std::vector<toml::Line> kept;
  bool dropped_last_without_ending = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    toml::Line line = lines[i];
    if (absl::StartsWith(line.content, kReplacedPrefix)) {
      line.content = line.content.substr(sizeof(kReplacedPrefix) - 1);
      ++undo.restored_lines;
    } else if (is_added(line.content)) {
      bool foreign_keys_below = false;
      if (is_header(line.content)) {
        for (size_t j = i + 1; j < lines.size() && !is_header(lines[j].content); ++j) {
          const absl::string_view below = absl::StripLeadingAsciiWhitespace(lines[j].content);
          if (!below.empty() && below.front() != '#' && !is_added(below)) foreign_keys_below = true;
        }
      }
      if (!foreign_keys_below) {
        ++undo.removed_lines;
        if (i + 1 == lines.size() && line.ending.empty()) dropped_last_without_ending = true;
        continue;
      }
      line.content = std::string(absl::StripTrailingAsciiWhitespace(
          absl::string_view(line.content).substr(0, line.content.size() - (sizeof(kAddedMarker) - 1))));
      ++undo.kept_headers;
    }
    kept.push_back(std::move(line));
  }
  if (dropped_last_without_ending && !kept.empty()) kept.back().ending.clear();
  undo.text = toml::JoinLines(kept);
  return undo;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_CONTAINERD_CONFIG_EDIT_H_
