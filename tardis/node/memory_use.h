// How much memory a running container uses, from its cgroup: what CRIU will dump, and so
// finalize's estimate of a container's image when it has no earlier image (see
// finalize_plan.h).
//
// The cgroup comes from the bundle's config.json, linux.cgroupsPath, as runc reads it:
// a path ("/default/job1", cgroupfs driver) or "slice:prefix:name" (systemd driver:
// <slice, expanded>/<prefix>-<name>.scope). The amount is anonymous memory (page cache
// is not dumped): memory.stat's `anon` under cgroup v2, `total_rss` under v1. Anything
// unusual (no cgroupsPath, `..`, an unreadable file) means "unknown", never a guess.
#ifndef TARDIS_NODE_MEMORY_USE_H_
#define TARDIS_NODE_MEMORY_USE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/files.h"

namespace tardis::node {

// The cgroup's directory relative to a hierarchy's root, without a leading slash.
inline absl::StatusOr<std::string> CgroupDir(absl::string_view cgroups_path) {
  if (cgroups_path.empty()) return absl::NotFoundError("no cgroupsPath");
  if (cgroups_path.size() > 4096) return absl::InvalidArgumentError("cgroupsPath too long");
  std::string dir;
  if (cgroups_path.front() == '/') {
    dir = std::string(cgroups_path.substr(1));
  } else {
    const std::vector<absl::string_view> parts = absl::StrSplit(cgroups_path, ':');
    if (parts.size() != 3 || parts[2].empty()) return absl::InvalidArgumentError("cgroupsPath is neither a path nor slice:prefix:name");
    // "a-b-c.slice" lives at a.slice/a-b.slice/a-b-c.slice; no slice means system.slice.
    absl::string_view slice = parts[0].empty() ? "system.slice" : parts[0];
    if (!absl::ConsumeSuffix(&slice, ".slice") || slice.empty()) return absl::InvalidArgumentError("not a systemd slice");
    std::string prefix;
    for (absl::string_view piece : absl::StrSplit(slice, '-')) {
      if (piece.empty()) return absl::InvalidArgumentError("not a systemd slice");
      prefix = prefix.empty() ? std::string(piece) : absl::StrCat(prefix, "-", piece);
      absl::StrAppend(&dir, dir.empty() ? "" : "/", prefix, ".slice");
    }
    absl::StrAppend(&dir, "/", parts[1].empty() ? "" : absl::StrCat(parts[1], "-"), parts[2], ".scope");
  }
  for (absl::string_view element : absl::StrSplit(dir, '/')) {
    if (element == ".." || element == ".") return absl::InvalidArgumentError("cgroupsPath has . or ..");
  }
  return dir;
}

// A `key value` line's value in memory.stat.
inline std::optional<uint64_t> MemoryStatValue(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint64_t value = 0;
    if (kv.first == key && absl::SimpleAtoi(kv.second, &value)) return value;
  }
  return std::nullopt;
}

// config.json's linux.cgroupsPath ("" when there is none).
inline std::string CgroupsPathOf(absl::string_view config_json) {
  const nlohmann::json json = nlohmann::json::parse(config_json.begin(), config_json.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return "";
  const auto linux_section = json.find("linux");
  if (linux_section == json.end() || !linux_section->is_object()) return "";
  const auto path = linux_section->find("cgroupsPath");
  if (path == linux_section->end() || !path->is_string()) return "";
  return path->get<std::string>();
}

// The adapter: the anonymous memory of the container whose bundle this is, if known.
inline std::optional<uint64_t> ReadMemoryUse(const std::string& bundle, const std::string& cgroup_root = "/sys/fs/cgroup") {
  absl::StatusOr<std::string> config = ReadSmallFile(absl::StrCat(bundle, "/config.json"), 16 << 20);
  if (!config.ok()) return std::nullopt;
  absl::StatusOr<std::string> dir = CgroupDir(CgroupsPathOf(*config));
  if (!dir.ok()) return std::nullopt;
  for (const auto& [file, key] : {std::pair<std::string, const char*>{absl::StrCat(cgroup_root, "/", *dir, "/memory.stat"), "anon"},
                                  {absl::StrCat(cgroup_root, "/memory/", *dir, "/memory.stat"), "total_rss"}}) {
    absl::StatusOr<std::string> stat = ReadSmallFile(file, 1 << 20);
    if (!stat.ok()) continue;
    if (std::optional<uint64_t> value = MemoryStatValue(*stat, key)) return value;
  }
  return std::nullopt;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_MEMORY_USE_H_
