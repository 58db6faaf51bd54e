// ReadContainerSettings(): whether a container opts in to Tardis, and where it wants its
// checkpoint kept, read from its bundle's config.json (SPEC.md "Opting in").
//
// The settings are the container's own environment, `process.env`, because that is the
// one place every orchestrator (ctr, Kubernetes, ECS, Nomad...) lets a user put something
// that reaches runc unchanged. The env is read the way runc 1.1 applies it to the
// process: every entry must be NAME=VALUE split at the first '=' with a non-empty name
// and no NUL byte (runc refuses to start the container otherwise), and when a name
// repeats the last entry wins (execve semantics).
//
// With the opt-in come the fields that name the container's job (checkpoint_identity.h):
// TARDIS_CHECKPOINT_ID and the CRI plugin's annotations; and root.path, where the runtime
// mounted the rootfs (Docker mounts it itself, not at <bundle>/rootfs).
//
// Whoever wrote the spec is untrusted, so anything malformed, and any JSON runc could
// read differently (strict_json.h), is an error and the caller leaves the container
// alone. A container that does not opt in asks for nothing: its other TARDIS_* variables
// are neither used nor checked.
#ifndef TARDIS_CONTAINER_OPT_IN_H_
#define TARDIS_CONTAINER_OPT_IN_H_

#include <map>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/container/checkpoint_identity.h"
#include "tardis/container/path.h"
#include "tardis/container/strict_json.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

inline constexpr char kEnableVariable[] = "TARDIS_ENABLE";
inline constexpr char kCheckpointHostPathVariable[] = "TARDIS_CHECKPOINT_HOST_PATH";
inline constexpr char kNetworkFsHostPathVariable[] = "TARDIS_NETWORKFS_HOST_PATH";
inline constexpr char kWorkdirContainerPathVariable[] = "TARDIS_WORKDIR_CONTAINER_PATH";
inline constexpr char kCheckpointIdVariable[] = "TARDIS_CHECKPOINT_ID";
inline constexpr char kCheckpointIntervalVariable[] = "TARDIS_CHECKPOINT_INTERVAL";

// The CRI plugin's annotations naming a container's pod and itself.
inline constexpr char kSandboxNamespaceAnnotation[] = "io.kubernetes.cri.sandbox-namespace";
inline constexpr char kSandboxNameAnnotation[] = "io.kubernetes.cri.sandbox-name";
inline constexpr char kContainerNameAnnotation[] = "io.kubernetes.cri.container-name";

// Where the checkpoint image lives (image_location.h turns this into paths).
enum class StorageMode {
  kDefaultBase,         // <checkpoint_base from tardis.conf>/<ns>/<id>
  kCheckpointHostPath,  // <TARDIS_CHECKPOINT_HOST_PATH>/<ns>/<id>
  kNetworkFs,           // <TARDIS_NETWORKFS_HOST_PATH>/checkpoint/<ns>/<id>, plus a work dir
};

inline absl::string_view StorageModeName(StorageMode mode) {
  switch (mode) {
    case StorageMode::kDefaultBase:
      return "default_base";
    case StorageMode::kCheckpointHostPath:
      return "checkpoint_host_path";
    case StorageMode::kNetworkFs:
      return "networkfs";
  }
  return "unknown";
}

// What the container asks for. Only the fields of `mode` are set; host paths are as the
// container wrote them (image_location.h validates them), the work dir path is checked.
struct ContainerSettings {
  bool enabled = false;
  StorageMode mode = StorageMode::kDefaultBase;
  std::string checkpoint_host_path;    // kCheckpointHostPath
  std::string networkfs_host_path;     // kNetworkFs
  std::string workdir_container_path;  // kNetworkFs: absolute, normalized, not "/"
  std::string checkpoint_id;           // TARDIS_CHECKPOINT_ID as written ("" if absent)
  // TARDIS_CHECKPOINT_INTERVAL as written ("" if absent); periodic/interval.h reads it.
  std::string checkpoint_interval;
  KubernetesNames kubernetes;          // from the CRI plugin's annotations, if any
  // root.path as the runtime (containerd, Docker) wrote it: where the rootfs is mounted
  // when it is not <bundle>/rootfs. Not the container author's: the runtime's.
  std::string root_path;
};

namespace opt_in_internal {

// process.env as runc would apply it: name -> value, last entry wins.
inline absl::StatusOr<std::map<std::string, std::string>> ReadEnv(const nlohmann::json& env) {
  std::map<std::string, std::string> variables;
  if (env.is_null()) return variables;  // Go reads `"env": null` as no env
  if (!env.is_array()) return absl::InvalidArgumentError("process.env is not an array");
  for (size_t i = 0; i < env.size(); ++i) {
    const nlohmann::json& entry = env[i];
    if (!entry.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("process.env[", i, "] is not a string"));
    }
    const std::string& text = entry.get_ref<const std::string&>();
    const size_t eq = text.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("process.env[", i, "] has no '='"));
    }
    if (eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("process.env[", i, "] has an empty name"));
    }
    if (text.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("process.env[", i, "] contains a NUL byte"));
    }
    variables[text.substr(0, eq)] = text.substr(eq + 1);
  }
  return variables;
}

// An empty value counts as absent.
inline std::string Get(const std::map<std::string, std::string>& variables, const char* name) {
  const auto it = variables.find(name);
  return it == variables.end() ? std::string() : it->second;
}

// root.path and the CRI plugin's annotations. runc reads annotations as a map of strings
// (a value of any other type fails the container), so the same is required here.
inline absl::Status ReadRuntimeFields(const nlohmann::json& config, ContainerSettings* settings) {
  if (const auto root = config.find("root"); root != config.end() && !root->is_null()) {
    if (!root->is_object()) return absl::InvalidArgumentError("root is not an object");
    if (const auto path = root->find("path"); path != root->end() && !path->is_null()) {
      if (!path->is_string()) return absl::InvalidArgumentError("root.path is not a string");
      settings->root_path = path->get<std::string>();
    }
  }
  const auto annotations = config.find("annotations");
  if (annotations == config.end() || annotations->is_null()) return absl::OkStatus();
  if (!annotations->is_object()) return absl::InvalidArgumentError("annotations is not an object");
  for (const auto& [key, value] : annotations->items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("annotation ", Quote(key), " is not a string"));
    }
  }
  const auto get = [&](const char* key) {
    const auto it = annotations->find(key);
    return it == annotations->end() ? std::string() : it->get<std::string>();
  };
  settings->kubernetes = {get(kSandboxNamespaceAnnotation), get(kSandboxNameAnnotation),
                          get(kContainerNameAnnotation)};
  return absl::OkStatus();
}

}  // namespace opt_in_internal

inline absl::StatusOr<ContainerSettings> ReadContainerSettings(absl::string_view config_json) {
  using opt_in_internal::Get;
  const absl::StatusOr<nlohmann::json> parsed =
      ParseStrictJson<nlohmann::json>(config_json, "config.json");
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& config = *parsed;
  if (!config.is_object()) return absl::InvalidArgumentError("config.json is not a JSON object");

  ContainerSettings settings;
  const auto process = config.find("process");
  if (process == config.end() || process->is_null()) return settings;
  if (!process->is_object()) return absl::InvalidArgumentError("process is not an object");
  const auto env = process->find("env");
  if (env == process->end()) return settings;
  absl::StatusOr<std::map<std::string, std::string>> variables = opt_in_internal::ReadEnv(*env);
  if (!variables.ok()) return variables.status();

  if (Get(*variables, kEnableVariable) != "1") return settings;
  settings.enabled = true;
  settings.checkpoint_id = Get(*variables, kCheckpointIdVariable);
  settings.checkpoint_interval = Get(*variables, kCheckpointIntervalVariable);
  if (absl::Status read = opt_in_internal::ReadRuntimeFields(config, &settings); !read.ok()) return read;
  if (std::string networkfs = Get(*variables, kNetworkFsHostPathVariable); !networkfs.empty()) {
    settings.mode = StorageMode::kNetworkFs;
    settings.networkfs_host_path = std::move(networkfs);
    settings.workdir_container_path = Get(*variables, kWorkdirContainerPathVariable);
    if (settings.workdir_container_path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(kNetworkFsHostPathVariable, " is set but ",
                                                     kWorkdirContainerPathVariable, " is not"));
    }
    if (!IsNormalizedAbsolutePath(settings.workdir_container_path) ||
        settings.workdir_container_path == "/") {
      return absl::InvalidArgumentError(absl::StrCat(
          kWorkdirContainerPathVariable, " must be an absolute, normalized path other than \"/\": ",
          Quote(settings.workdir_container_path)));
    }
  } else if (std::string host_path = Get(*variables, kCheckpointHostPathVariable);
             !host_path.empty()) {
    settings.mode = StorageMode::kCheckpointHostPath;
    settings.checkpoint_host_path = std::move(host_path);
  }
  return settings;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_OPT_IN_H_
