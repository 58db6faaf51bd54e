// What a container's last checkpoint cost, as `runc checkpoint`-and-tar users know it
// from Podman's --print-stats: how long the job was frozen, how long CRIU's dump and the
// upperdir's archive took (at once, so they overlap), and how many bytes the image has.
// Written by the checkpoint handler beside the container's record, read by `tardisctl
// status` and the periodic checkpoint benchmark. Parsing is defensive like the record's.
#ifndef TARDIS_STATE_CHECKPOINT_STATS_H_
#define TARDIS_STATE_CHECKPOINT_STATS_H_

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/json_fields.h"

namespace tardis {

struct CheckpointStats {
  bool periodic = false;            // the container kept running
  int64_t started_unix_nanos = 0;   // when the handler began
  int64_t finished_unix_nanos = 0;  // when it published (or gave up)
  // From the freeze (Tardis's pause, or the handler's start when the caller froze it, as
  // containerd's checkpoint does) to Tardis's thaw, or to the publish when the caller
  // thaws it; the caller's pause and resume add a few milliseconds around that.
  int64_t frozen_nanos = 0;
  int64_t dump_nanos = 0;           // runc checkpoint, CRIU's dump
  int64_t archive_nanos = 0;        // the upperdir's archive
  int64_t image_bytes = 0;          // archive and CRIU's files
  // Why no image was published ("" when it was): the image is then older than this
  // checkpoint, and status says so.
  std::string problem;
};

inline std::string SerializeCheckpointStats(const CheckpointStats& s) {
  return nlohmann::json{{"periodic", s.periodic},
                        {"started_unix_nanos", s.started_unix_nanos},
                        {"finished_unix_nanos", s.finished_unix_nanos},
                        {"frozen_nanos", s.frozen_nanos},
                        {"dump_nanos", s.dump_nanos},
                        {"archive_nanos", s.archive_nanos},
                        {"image_bytes", s.image_bytes},
                        {"problem", s.problem}}
      .dump();
}

// For the log: "frozen 812 ms, dump 700 ms, archive 310 ms, 123456 bytes".
inline std::string DescribeCheckpointStats(const CheckpointStats& s) {
  constexpr int64_t kMs = 1000000;
  return absl::StrCat("frozen ", s.frozen_nanos / kMs, " ms, dump ", s.dump_nanos / kMs, " ms, archive ",
                      s.archive_nanos / kMs, " ms, ", s.image_bytes, " bytes");
}

inline absl::StatusOr<CheckpointStats> ParseCheckpointStats(absl::string_view text) {
  using json_fields::GetBool;
  using json_fields::GetInt;
  using json_fields::GetString;
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  CheckpointStats s;
  if (json.is_discarded() || !json.is_object() || !GetBool(json, "periodic", &s.periodic) ||
      !GetInt(json, "started_unix_nanos", &s.started_unix_nanos) ||
      !GetInt(json, "finished_unix_nanos", &s.finished_unix_nanos) ||
      !GetInt(json, "frozen_nanos", &s.frozen_nanos) || !GetInt(json, "dump_nanos", &s.dump_nanos) ||
      !GetInt(json, "archive_nanos", &s.archive_nanos) || !GetInt(json, "image_bytes", &s.image_bytes) ||
      !GetString(json, "problem", &s.problem)) {
    return absl::DataLossError("checkpoint stats are malformed");
  }
  return s;
}

}  // namespace tardis

#endif  // TARDIS_STATE_CHECKPOINT_STATS_H_
