// Holding a restored container until containerd's start.
//
// Tardis restores at create, so the restored process runs when create returns; containerd
// starts the container only later, at start. A process that ends in between is seen to
// exit by containerd's shim, which then refuses the start itself ("cannot start a stopped
// process"): the job's exit is lost to the orchestrator, and its next container restores
// and ends the same way. CRIU can instead leave the restored tasks stopped
// (`leave-stopped`); runc gives CRIU no such option, but it does give CRIU the
// configuration file named by the container's `org.criu.config` annotation, in place of
// /etc/criu/runc.conf. So for the restore, the annotation names a file holding what runc
// would have given CRIU plus `leave-stopped`; once the restore is over the file goes back
// to what runc would have given CRIU (the container keeps the annotation: later dumps read
// the same file), and start continues the stopped tasks (SIGCONT).
// A spec that names a CRIU configuration of its own is left as it is, unheld.
#ifndef TARDIS_CONTAINER_CRIU_CONFIG_HOLD_H_
#define TARDIS_CONTAINER_CRIU_CONFIG_HOLD_H_

#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/container/spec_edit.h"
#include "tardis/container/strict_json.h"

namespace tardis::container {

inline constexpr char kCriuConfigAnnotation[] = "org.criu.config";
// What runc gives CRIU when the spec has no org.criu.config annotation.
inline constexpr char kRuncCriuConfigPath[] = "/etc/criu/runc.conf";

// config.json with annotations."org.criu.config" set to `path`; everything else kept as
// it was (key order included). FailedPrecondition when the spec already has that
// annotation: the container's own CRIU configuration is not Tardis's to replace.
inline absl::StatusOr<std::string> AnnotateCriuConfig(absl::string_view config_json, const std::string& path) {
  using Json = nlohmann::ordered_json;
  if (absl::Status valid = spec_edit_internal::ValidatePath("CRIU configuration path", path); !valid.ok()) {
    return valid;
  }
  absl::StatusOr<Json> parsed = ParseStrictJson<Json>(config_json, "config.json");
  if (!parsed.ok()) return parsed.status();
  Json& config = *parsed;
  if (!config.is_object()) return absl::InvalidArgumentError("config.json is not a JSON object");
  auto annotations = config.find("annotations");
  if (annotations != config.end() && !annotations->is_object() && !annotations->is_null()) {
    return absl::InvalidArgumentError("annotations is not an object");
  }
  if (annotations != config.end() && annotations->is_object() && annotations->contains(kCriuConfigAnnotation)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the spec names its own CRIU configuration (", kCriuConfigAnnotation, ")"));
  }
  config["annotations"][kCriuConfigAnnotation] = path;
  return config.dump();
}

// The file's content during the restore: `runc_conf` (what runc would have given CRIU,
// "" for none) and leave-stopped.
inline std::string HoldingCriuConfig(absl::string_view runc_conf) {
  return absl::StrCat(runc_conf, runc_conf.empty() || runc_conf.back() == '\n' ? "" : "\n",
                      "# tardis: the restored tasks wait, stopped, for containerd's start\nleave-stopped\n");
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_CRIU_CONFIG_HOLD_H_
