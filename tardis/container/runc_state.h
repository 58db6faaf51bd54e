// What runc says about a container it created: its bundle, from runc's own state file,
// and its status, from `runc state ID`.
//
// Commands after create (start, checkpoint, delete...) do not name the bundle, yet
// Tardis needs it to find config.json and the rootfs overlay; runc 1.1 records it in
// <root>/<id>/state.json as the "bundle=<path>" entry of config.labels, and looks it up
// the same way (first matching label). The status tells checkpoint whether the container
// is already paused.
#ifndef TARDIS_CONTAINER_RUNC_STATE_H_
#define TARDIS_CONTAINER_RUNC_STATE_H_

#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/container/path.h"
#include "tardis/container/strict_json.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

// runc keeps a container's files in <root>/<id>, its state at <root>/<id>/state.json.
inline std::string RuncContainerDir(absl::string_view root, absl::string_view id) {
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  return absl::StrCat(root == "/" ? "" : root, "/", id);
}
inline std::string RuncStatePath(absl::string_view root, absl::string_view id) {
  return absl::StrCat(RuncContainerDir(root, id), "/state.json");
}

// The bundle directory, absolute and normalized.
inline absl::StatusOr<std::string> BundleFromRuncState(absl::string_view state_json) {
  const absl::StatusOr<nlohmann::json> parsed =
      ParseStrictJson<nlohmann::json>(state_json, "runc state.json");
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& state = *parsed;
  if (!state.is_object()) return absl::InvalidArgumentError("runc state.json is not an object");
  const auto config = state.find("config");
  if (config == state.end() || !config->is_object()) {
    return absl::InvalidArgumentError("runc state.json has no config object");
  }
  const auto labels = config->find("labels");
  if (labels == config->end() || !labels->is_array()) {
    return absl::InvalidArgumentError("runc state.json has no config.labels array");
  }
  for (const nlohmann::json& label : *labels) {
    // runc itself could not read such a file back.
    if (!label.is_string()) {
      return absl::InvalidArgumentError("runc state.json has a non-string label");
    }
    absl::string_view text = label.get_ref<const std::string&>();
    if (!absl::ConsumePrefix(&text, "bundle=")) continue;
    absl::StatusOr<std::string> bundle = NormalizeAbsolutePath(text);
    if (!bundle.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("runc state.json bundle label: ", bundle.status().message()));
    }
    return bundle;
  }
  return absl::NotFoundError("runc state.json has no bundle= label");
}

namespace runc_state_internal {

// `runc state ID`'s output: a JSON object.
inline absl::StatusOr<nlohmann::json> ParseStateOutput(absl::string_view json) {
  absl::StatusOr<nlohmann::json> parsed = ParseStrictJson<nlohmann::json>(json, "runc state output");
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return absl::InvalidArgumentError("runc state output is not an object");
  return parsed;
}

}  // namespace runc_state_internal

// "created", "running", "pausing", "paused" or "stopped": the statuses runc 1.1 prints.
inline absl::StatusOr<std::string> StatusFromRuncStateOutput(absl::string_view json) {
  const absl::StatusOr<nlohmann::json> state = runc_state_internal::ParseStateOutput(json);
  if (!state.ok()) return state.status();
  const auto status = state->find("status");
  if (status == state->end() || !status->is_string()) {
    return absl::InvalidArgumentError("runc state output has no status string");
  }
  const std::string& value = status->get_ref<const std::string&>();
  for (absl::string_view known : {"created", "running", "pausing", "paused", "stopped"}) {
    if (value == known) return value;
  }
  return absl::InvalidArgumentError(absl::StrCat("runc state output has status ", Quote(value)));
}

// The pid of the container's init process, from `runc state ID`: a positive integer.
inline absl::StatusOr<int> InitPidFromRuncStateOutput(absl::string_view json) {
  const absl::StatusOr<nlohmann::json> state = runc_state_internal::ParseStateOutput(json);
  if (!state.ok()) return state.status();
  const auto pid = state->find("pid");
  if (pid == state->end() || !pid->is_number_integer()) {
    return absl::InvalidArgumentError("runc state output has no integer pid");
  }
  const int64_t value = pid->get<int64_t>();
  if (value <= 0 || value > (int64_t{1} << 22)) {  // the kernel's PID_MAX_LIMIT
    return absl::InvalidArgumentError(absl::StrCat("runc state output has pid ", value));
  }
  return static_cast<int>(value);
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_RUNC_STATE_H_
