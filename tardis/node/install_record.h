// What `tardisctl install` did to a node, written down so that `tardisctl uninstall`
// undoes exactly that and nothing else: which files it made, what stood in their place
// before (moved aside into the install directory), and which files it edited or created
// (their content as install left them is kept beside the record, so uninstall can tell
// whether anyone changed them since).
//
// Also the texts install writes: the default tardis.conf and the tardis-listen unit.
#ifndef TARDIS_NODE_INSTALL_RECORD_H_
#define TARDIS_NODE_INSTALL_RECORD_H_

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/node/toml_lines.h"
#include "tardis/sys/json_fields.h"

namespace tardis::node {

inline constexpr int kInstallRecordVersion = 1;
inline constexpr char kInstallRecordName[] = "install.json";
// Copies kept in the install directory.
inline constexpr char kContainerdConfigOriginal[] = "containerd-config.original";
inline constexpr char kContainerdConfigInstalled[] = "containerd-config.installed";
inline constexpr char kTardisConfigInstalled[] = "tardis.conf.installed";
inline constexpr char kUnitInstalled[] = "tardis-listen.service.installed";
inline constexpr char kBackupDir[] = "previous";

// A file install put in place, and where what stood there before now lies ("" when
// nothing did).
struct PlacedFile {
  std::string path;
  std::string previous;

  bool operator==(const PlacedFile&) const = default;
};

struct InstallRecord {
  std::string mode;    // "config" or "path"
  std::string runtime_handler;  // --mode config: the runtime install added ("": runc's BinaryName)
  std::string prefix;  // where the binaries went
  std::vector<std::string> created_dirs;  // made by install, outermost first
  std::vector<PlacedFile> binaries;
  // --mode config
  std::string containerd_config;
  bool containerd_config_existed = false;
  // --mode path: the `runc` symlink
  PlacedFile runc_link;
  // tardis.conf: written only when there was none
  std::string tardis_config;
  bool tardis_config_written = false;
  // systemd: the tardis-listen unit, when systemd runs
  PlacedFile unit;
  bool systemd = false;

  bool operator==(const InstallRecord&) const = default;
};

namespace install_record_internal {

inline nlohmann::json PlacedJson(const PlacedFile& file) {
  return {{"path", file.path}, {"previous", file.previous}};
}

using json_fields::GetBool;
using json_fields::GetString;

inline bool GetPlaced(const nlohmann::json& json, const char* key, PlacedFile* out) {
  const auto it = json.find(key);
  return it != json.end() && it->is_object() && GetString(*it, "path", &out->path) &&
         GetString(*it, "previous", &out->previous);
}

}  // namespace install_record_internal

inline std::string SerializeInstallRecord(const InstallRecord& record) {
  using namespace install_record_internal;
  nlohmann::json binaries = nlohmann::json::array();
  for (const PlacedFile& file : record.binaries) binaries.push_back(PlacedJson(file));
  return nlohmann::json{{"version", kInstallRecordVersion},
                        {"mode", record.mode},
                        {"runtime_handler", record.runtime_handler},
                        {"prefix", record.prefix},
                        {"created_dirs", record.created_dirs},
                        {"binaries", binaries},
                        {"containerd_config", record.containerd_config},
                        {"containerd_config_existed", record.containerd_config_existed},
                        {"runc_link", PlacedJson(record.runc_link)},
                        {"tardis_config", record.tardis_config},
                        {"tardis_config_written", record.tardis_config_written},
                        {"unit", PlacedJson(record.unit)},
                        {"systemd", record.systemd}}
             .dump(1) +
         "\n";
}

inline absl::StatusOr<InstallRecord> ParseInstallRecord(absl::string_view text) {
  using namespace install_record_internal;
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  const auto bad = [](absl::string_view why) { return absl::DataLossError(absl::StrCat("install record: ", why)); };
  if (json.is_discarded() || !json.is_object()) return bad("not JSON");
  const auto version = json.find("version");
  if (version == json.end() || !version->is_number_integer() || version->get<int64_t>() != kInstallRecordVersion) {
    return bad("unknown version");
  }
  InstallRecord record;
  if (!GetString(json, "mode", &record.mode) || (record.mode != "config" && record.mode != "path")) {
    return bad("mode must be config or path");
  }
  // Absent in records of installs that predate --runtime-handler.
  if (json.contains("runtime_handler") && !GetString(json, "runtime_handler", &record.runtime_handler)) {
    return bad("runtime_handler must be a string");
  }
  const auto dirs = json.find("created_dirs");
  const auto binaries = json.find("binaries");
  if (!GetString(json, "prefix", &record.prefix) || dirs == json.end() || !dirs->is_array() ||
      binaries == json.end() || !binaries->is_array() ||
      !GetString(json, "containerd_config", &record.containerd_config) ||
      !GetBool(json, "containerd_config_existed", &record.containerd_config_existed) ||
      !GetPlaced(json, "runc_link", &record.runc_link) || !GetString(json, "tardis_config", &record.tardis_config) ||
      !GetBool(json, "tardis_config_written", &record.tardis_config_written) ||
      !GetPlaced(json, "unit", &record.unit) || !GetBool(json, "systemd", &record.systemd)) {
    return bad("missing or mistyped fields");
  }
  for (const nlohmann::json& dir : *dirs) {
    if (!dir.is_string()) return bad("created_dirs holds a non-string");
    record.created_dirs.push_back(dir.get<std::string>());
  }
  for (const nlohmann::json& entry : *binaries) {
    PlacedFile file;
    if (!entry.is_object() || !GetString(entry, "path", &file.path) || !GetString(entry, "previous", &file.previous)) {
      return bad("binaries holds a malformed entry");
    }
    record.binaries.push_back(std::move(file));
  }
  // Everything uninstall touches is named by absolute paths.
  const auto absolute_or_empty = [](const std::string& path) { return path.empty() || path.front() == '/'; };
  bool paths_ok = absolute_or_empty(record.prefix) && absolute_or_empty(record.containerd_config) &&
                  absolute_or_empty(record.runc_link.path) && absolute_or_empty(record.runc_link.previous) &&
                  absolute_or_empty(record.tardis_config) && absolute_or_empty(record.unit.path) &&
                  absolute_or_empty(record.unit.previous);
  for (const std::string& dir : record.created_dirs) paths_ok = paths_ok && !dir.empty() && dir.front() == '/';
  for (const PlacedFile& file : record.binaries) {
    paths_ok = paths_ok && !file.path.empty() && file.path.front() == '/' && absolute_or_empty(file.previous);
  }
  if (!paths_ok) return bad("a path is not absolute");
  return record;
}

// The tardis.conf install writes when the node has none: every key with its default, the
// ones an operator is likeliest to change uncommented.
inline std::string DefaultHostConfigText(absl::string_view real_runc) {
  return absl::StrCat(
      "# Tardis host configuration (docs/SPEC.md, \"Host configuration\").\n"
      "# Written by `tardisctl install`; `tardisctl uninstall` removes it unless it was changed.\n"
      "# `tardisctl log --level LEVEL --file PATH` changes the log settings.\n"
      "real_runc = ", real_runc, "\n",
      "log_file = /var/log/tardis/tardis.log\n"
      "log_level = WARNING\n"
      "state_dir = /run/tardis\n"
      "checkpoint_base = /var/lib/tardis/checkpoints\n"
      "# allowed_roots = /var/lib/tardis/checkpoints\n"
      "# ctr = ctr\n"
      "# containerd_address = /run/containerd/containerd.sock\n"
      "# delete_wait_ms = 1000\n");
}

// cmd/tardis-listen.service as installed: ExecStart runs the installed tardis-listen, and
// a tardis.conf elsewhere than the default is passed in TARDIS_CONFIG.
inline std::string RenderListenerUnit(absl::string_view unit_template, absl::string_view tardis_listen,
                                      absl::string_view tardis_config, absl::string_view default_tardis_config) {
  std::vector<toml::Line> lines = toml::SplitLines(unit_template);
  std::vector<toml::Line> out;
  for (toml::Line& line : lines) {
    if (absl::StartsWith(line.content, "ExecStart=")) {
      const std::string ending = line.ending.empty() ? "\n" : line.ending;
      if (tardis_config != default_tardis_config) {
        out.push_back({absl::StrCat("Environment=TARDIS_CONFIG=", tardis_config), ending});
      }
      out.push_back({absl::StrCat("ExecStart=", tardis_listen), line.ending});
      continue;
    }
    out.push_back(std::move(line));
  }
  return toml::JoinLines(out);
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_RECORD_H_
