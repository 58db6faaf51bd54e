// What a checkpoint writes down before it freezes a container itself, so that whoever
// finds it after the checkpoint died can thaw the container (state_store.h,
// node/pause_recovery.h). Parsing is defensive like the record's.
#ifndef TARDIS_STATE_PAUSE_JOURNAL_H_
#define TARDIS_STATE_PAUSE_JOURNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/json_fields.h"

namespace tardis {

struct PauseJournal {
  std::vector<std::string> thaw;  // runc argv without the program: `<globals> resume <id>`
  int64_t runc_pid = 0;           // the checkpoint's runc, once started (0: not yet)
  int64_t runc_start_ticks = 0;   // its start time (sys/process_start.h)
};

inline std::string SerializePauseJournal(const PauseJournal& j) {
  return nlohmann::json{{"thaw", j.thaw}, {"runc_pid", j.runc_pid}, {"runc_start_ticks", j.runc_start_ticks}}.dump();
}

inline std::optional<PauseJournal> ParsePauseJournal(absl::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  PauseJournal j;
  const auto thaw = json.find("thaw");
  if (thaw == json.end() || !thaw->is_array()) return std::nullopt;
  for (const nlohmann::json& word : *thaw) {
    if (!word.is_string()) return std::nullopt;
    j.thaw.push_back(word.get<std::string>());
  }
  if (!json_fields::GetInt(json, "runc_pid", &j.runc_pid) ||
      !json_fields::GetInt(json, "runc_start_ticks", &j.runc_start_ticks)) {
    return std::nullopt;
  }
  return j;
}

}  // namespace tardis

#endif  // TARDIS_STATE_PAUSE_JOURNAL_H_
