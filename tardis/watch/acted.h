// The notices this node has acted on: <state_dir>/watch/acted.json. A notice is acted on
// once, even across watcher restarts: before finalizing, the watcher records the
// notice's key (started), and afterwards what finalize did (finished). A watcher that
// finds a notice's key here does not finalize for it again, whether the earlier finalize
// finished or was cut short (a finalize that kills its watcher must not loop under
// systemd's restarts; `tardisctl finalize` by hand is always possible).
//
// This header is the file's format, parsed defensively (a broken file reads as an
// error, and the watcher then says so and treats it as empty: finalizing twice is
// harmless, never finalizing is not). The newest kMaxActedEntries entries are kept.
#ifndef TARDIS_WATCH_ACTED_H_
#define TARDIS_WATCH_ACTED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/json_fields.h"

namespace tardis::watch {

inline constexpr size_t kMaxActedEntries = 64;
inline constexpr size_t kMaxActedBytes = 1 << 20;

struct ActedEntry {
  std::string key;
  std::string cloud;
  std::string kind;
  int64_t deadline_unix_nanos = 0;
  int64_t started_unix_nanos = 0;
  // Set once finalize returned, with its counts.
  std::optional<int64_t> finished_unix_nanos;
  int checkpointed = 0;
  int failed = 0;
  int skipped = 0;

  bool operator==(const ActedEntry&) const = default;
};

inline absl::StatusOr<std::vector<ActedEntry>> ParseActed(absl::string_view text) {
  if (text.size() > kMaxActedBytes) return absl::DataLossError("acted.json is too big");
  const nlohmann::json json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return absl::DataLossError("acted.json is not a JSON object");
  const auto list = json.find("acted");
  if (list == json.end() || !list->is_array()) return absl::DataLossError("acted.json has no \"acted\" list");
  std::vector<ActedEntry> entries;
  for (const nlohmann::json& item : *list) {
    using json_fields::GetInt;
    using json_fields::GetString;
    ActedEntry entry;
    if (!item.is_object() || !GetString(item, "key", &entry.key) || entry.key.empty() ||
        !GetString(item, "cloud", &entry.cloud) || !GetString(item, "kind", &entry.kind) ||
        !GetInt(item, "deadline_unix_nanos", &entry.deadline_unix_nanos) ||
        !GetInt(item, "started_unix_nanos", &entry.started_unix_nanos)) {
      return absl::DataLossError("acted.json has a malformed entry");
    }
    if (const auto finished = item.find("finished_unix_nanos"); finished != item.end() && !finished->is_null()) {
      if (!finished->is_number_integer()) return absl::DataLossError("acted.json has a malformed entry");
      entry.finished_unix_nanos = finished->get<int64_t>();
      if (!GetInt(item, "checkpointed", &entry.checkpointed) || !GetInt(item, "failed", &entry.failed) ||
          !GetInt(item, "skipped", &entry.skipped)) {
        return absl::DataLossError("acted.json has a malformed entry");
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

inline std::string SerializeActed(const std::vector<ActedEntry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const ActedEntry& entry : entries) {
    nlohmann::json item = {{"key", entry.key},
                           {"cloud", entry.cloud},
                           {"kind", entry.kind},
                           {"deadline_unix_nanos", entry.deadline_unix_nanos},
                           {"started_unix_nanos", entry.started_unix_nanos},
                           {"finished_unix_nanos", nullptr}};
    if (entry.finished_unix_nanos) {
      item["finished_unix_nanos"] = *entry.finished_unix_nanos;
      item["checkpointed"] = entry.checkpointed;
      item["failed"] = entry.failed;
      item["skipped"] = entry.skipped;
    }
    list.push_back(std::move(item));
  }
  return nlohmann::json{{"acted", list}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

inline const ActedEntry* FindActed(const std::vector<ActedEntry>& entries, absl::string_view key) {
  for (const ActedEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

// `entries` with `entry` in place of any of the same key, newest last, at most
// kMaxActedEntries.
inline std::vector<ActedEntry> WithActed(std::vector<ActedEntry> entries, const ActedEntry& entry) {
  std::erase_if(entries, [&](const ActedEntry& old) { return old.key == entry.key; });
  entries.push_back(entry);
  if (entries.size() > kMaxActedEntries) entries.erase(entries.begin(), entries.end() - kMaxActedEntries);
  return entries;
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_ACTED_H_
