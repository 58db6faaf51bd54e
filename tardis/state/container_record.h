// What Tardis remembers about an opted-in container between runc calls, and how it is
// written down (JSON). Parsing is defensive: the state dir is root's, but a half-written
// or foreign file must read as "nothing recorded", never crash a runc call.
#ifndef TARDIS_STATE_CONTAINER_RECORD_H_
#define TARDIS_STATE_CONTAINER_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/json_fields.h"

namespace tardis {

// Recorded at create for every opted-in container: where its image lives (already
// confined to the allowed roots) and, in shared-filesystem mode, its work directory.
struct ContainerRecord {
  std::string image_dir;
  std::string work_dir;  // empty unless shared-filesystem mode
  std::string bundle;
  // When the record was made: an exit event older than this belongs to an earlier
  // container with the same id, and the listener drops it.
  int64_t created_unix_nanos = 0;
  // The job the image belongs to (container/checkpoint_identity.h): image_dir's last
  // element, named here so that status and logs need not take paths apart.
  std::string identity;
  // Where the container's rootfs overlay is mounted: <bundle>/rootfs under containerd,
  // config.json's root.path under Docker.
  std::string rootfs;
  // How often tardis-listen checkpoints it while it runs (periodic/interval.h); 0: never.
  int64_t checkpoint_interval_ms = 0;
};

// Recorded by tardis-listen when the container's own process exits.
struct ExitRecord {
  int64_t exit_status = 0;  // containerd's uint32, whole
  int64_t exited_at_unix_nanos = 0;  // from the event's payload
  int64_t event_unix_nanos = 0;      // the event line's timestamp
  int64_t recorded_unix_nanos = 0;   // when the listener recorded it (just before the write)
};

inline std::string SerializeContainerRecord(const ContainerRecord& record) {
  return nlohmann::json{{"image_dir", record.image_dir},
                        {"work_dir", record.work_dir},
                        {"bundle", record.bundle},
                        {"identity", record.identity},
                        {"rootfs", record.rootfs},
                        {"checkpoint_interval_ms", record.checkpoint_interval_ms},
                        {"created_unix_nanos", record.created_unix_nanos}}
      .dump();
}

inline std::string SerializeExitRecord(const ExitRecord& record) {
  return nlohmann::json{{"exit_status", record.exit_status},
                        {"exited_at_unix_nanos", record.exited_at_unix_nanos},
                        {"event_unix_nanos", record.event_unix_nanos},
                        {"recorded_unix_nanos", record.recorded_unix_nanos}}
      .dump();
}

namespace record_internal {

using json_fields::GetInt;
using json_fields::GetString;

}  // namespace record_internal

inline absl::StatusOr<ContainerRecord> ParseContainerRecord(absl::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  ContainerRecord record;
  if (json.is_discarded() || !json.is_object() ||
      !record_internal::GetString(json, "image_dir", &record.image_dir) ||
      !record_internal::GetString(json, "work_dir", &record.work_dir) ||
      !record_internal::GetString(json, "bundle", &record.bundle) ||
      !record_internal::GetInt(json, "created_unix_nanos", &record.created_unix_nanos) ||
      record.image_dir.empty()) {
    return absl::DataLossError("container record is malformed");
  }
  // Records written before identities and Docker's rootfs: what they implied.
  if (!record_internal::GetString(json, "identity", &record.identity) || record.identity.empty()) {
    record.identity = record.image_dir.substr(record.image_dir.rfind('/') + 1);
  }
  if (!record_internal::GetString(json, "rootfs", &record.rootfs) || record.rootfs.empty()) {
    record.rootfs = record.bundle + "/rootfs";
  }
  // Records written before periodic checkpoints had none.
  if (!record_internal::GetInt(json, "checkpoint_interval_ms", &record.checkpoint_interval_ms) ||
      record.checkpoint_interval_ms < 0) {
    record.checkpoint_interval_ms = 0;
  }
  return record;
}

inline absl::StatusOr<ExitRecord> ParseExitRecord(absl::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  ExitRecord record;
  int64_t status = 0;
  if (json.is_discarded() || !json.is_object() ||
      !record_internal::GetInt(json, "exit_status", &status) || status < 0 || status > 0xffffffffLL ||
      !record_internal::GetInt(json, "exited_at_unix_nanos", &record.exited_at_unix_nanos) ||
      !record_internal::GetInt(json, "event_unix_nanos", &record.event_unix_nanos) ||
      !record_internal::GetInt(json, "recorded_unix_nanos", &record.recorded_unix_nanos)) {
    return absl::DataLossError("exit record is malformed");
  }
  record.exit_status = status;
  return record;
}

}  // namespace tardis

#endif  // TARDIS_STATE_CONTAINER_RECORD_H_
