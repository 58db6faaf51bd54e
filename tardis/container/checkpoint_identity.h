// DecideCheckpointIdentity(): which job a container's checkpoint belongs to, so that the
// container an orchestrator creates next for the same job restores from it.
//
// Orchestrators never re-create a job's container under the same id (Kubernetes: a new
// random id in a new pod; Docker: a new id per `docker run`), so the container id cannot
// name the image. In order:
//   1. TARDIS_CHECKPOINT_ID in the container's env: the user names the job;
//   2. the CRI plugin's annotations (sandbox namespace, pod name, container name): stable
//      for StatefulSets and pods with fixed names, as `k8s_<ns>_<pod>_<container>`;
//   3. the container id, as before identities existed (ctr, and Docker's `docker start`
//      of the same container).
// The name becomes a path element on shared storage, so it is one harmless component:
// [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 characters. A derived name that would be
// longer keeps a readable prefix and ends with a hash of the whole, so distinct pods stay
// distinct. Everything here is written by the spec's author: a bad name is an error and
// the caller leaves the container alone.
#ifndef TARDIS_CONTAINER_CHECKPOINT_IDENTITY_H_
#define TARDIS_CONTAINER_CHECKPOINT_IDENTITY_H_

#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tardis/sys/quote.h"

namespace tardis::container {

inline constexpr size_t kMaxCheckpointIdLength = 128;

enum class IdentitySource { kCheckpointId, kKubernetes, kContainerId };

inline absl::string_view IdentitySourceName(IdentitySource source) {
  switch (source) {
    case IdentitySource::kCheckpointId: return "checkpoint_id";
    case IdentitySource::kKubernetes: return "kubernetes";
    case IdentitySource::kContainerId: return "container_id";
  }
  return "unknown";
}

struct CheckpointIdentity {
  std::string name;
  IdentitySource source = IdentitySource::kContainerId;

  bool operator==(const CheckpointIdentity&) const = default;
};

// What the CRI plugin writes into every container's OCI annotations.
struct KubernetesNames {
  std::string sandbox_namespace;  // io.kubernetes.cri.sandbox-namespace
  std::string sandbox_name;       // io.kubernetes.cri.sandbox-name
  std::string container_name;     // io.kubernetes.cri.container-name

  bool complete() const {
    return !sandbox_namespace.empty() && !sandbox_name.empty() && !container_name.empty();
  }
};

// A name that becomes one path component (a container id, a namespace, an identity):
// `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most `max_length` characters. `what` names it in the
// error.
inline absl::Status ValidateSafeName(absl::string_view what, absl::string_view name, size_t max_length) {
  const auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", Quote(name), " ", why));
  };
  if (name.empty()) return fail("is empty");
  if (name.size() > max_length) return fail(absl::StrCat("is longer than ", max_length, " characters"));
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name.front()))) {
    return fail("must start with a letter or digit");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return fail("may only contain letters, digits, '_', '.' and '-'");
    }
  }
  return absl::OkStatus();
}

inline absl::Status ValidateCheckpointId(absl::string_view name) {
  return ValidateSafeName("checkpoint identity", name, kMaxCheckpointIdLength);
}

namespace identity_internal {

inline constexpr char kKubernetesPrefix[] = "k8s_";
inline constexpr size_t kHashHexLength = 16;

// A Kubernetes object name as the API server allows it: letters, digits, '.' and '-'.
// No '_', so that '_' separates the three parts unambiguously.
inline bool IsKubernetesName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return true;
}

inline std::string KubernetesIdentity(const KubernetesNames& k8s) {
  const std::string whole =
      absl::StrCat(kKubernetesPrefix, k8s.sandbox_namespace, "_", k8s.sandbox_name, "_", k8s.container_name);
  if (whole.size() <= kMaxCheckpointIdLength) return whole;
  const uint64_t hash = XXH3_64bits(whole.data(), whole.size());
  const std::string suffix = absl::StrCat("_", absl::Hex(hash, absl::kZeroPad16));
  return absl::StrCat(whole.substr(0, kMaxCheckpointIdLength - suffix.size()), suffix);
}

}  // namespace identity_internal

// `checkpoint_id`: TARDIS_CHECKPOINT_ID as the env has it ("" when absent).
// `container_id`: already a valid identifier (the caller checked it).
inline absl::StatusOr<CheckpointIdentity> DecideCheckpointIdentity(absl::string_view checkpoint_id,
                                                                  const KubernetesNames& k8s,
                                                                  absl::string_view container_id) {
  using namespace identity_internal;
  if (!checkpoint_id.empty()) {
    if (absl::Status valid = ValidateCheckpointId(checkpoint_id); !valid.ok()) return valid;
    return CheckpointIdentity{std::string(checkpoint_id), IdentitySource::kCheckpointId};
  }
  if (k8s.complete()) {
    for (absl::string_view part : {k8s.sandbox_namespace, k8s.sandbox_name, k8s.container_name}) {
      if (!IsKubernetesName(part)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Kubernetes name ", Quote(part), " in the CRI annotations is not a valid object name"));
      }
    }
    return CheckpointIdentity{KubernetesIdentity(k8s), IdentitySource::kKubernetes};
  }
  if (absl::Status valid = ValidateCheckpointId(container_id); !valid.ok()) return valid;
  return CheckpointIdentity{std::string(container_id), IdentitySource::kContainerId};
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_CHECKPOINT_IDENTITY_H_
