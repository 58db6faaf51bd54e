// What `tardisctl finalize` and `tardisctl status` report, and how: a table for people,
// JSON for scripts. The JSON field names are a contract (scripts and the benchmark read
// them); the tables are for reading and may change.
#ifndef TARDIS_NODE_REPORT_H_
#define TARDIS_NODE_REPORT_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>
#include <nlohmann/json.hpp>

#include "tardis/state/checkpoint_stats.h"

namespace tardis::node {

// ---------------------------------------------------------------------------------------
// Formatting helpers

// 0 B, 512 B, 1.5 KiB, 12.3 MiB, 2.00 GiB.
inline std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  if (value < 10) return absl::StrFormat("%.2f %s", value, kUnits[unit]);
  if (value < 100) return absl::StrFormat("%.1f %s", value, kUnits[unit]);
  return absl::StrFormat("%.0f %s", value, kUnits[unit]);
}

// 0.42s, 12.3s, 2m05s.
inline std::string FormatDuration(int64_t nanos) {
  const double seconds = static_cast<double>(std::max<int64_t>(nanos, 0)) / 1e9;
  if (seconds < 10) return absl::StrFormat("%.2fs", seconds);
  if (seconds < 60) return absl::StrFormat("%.1fs", seconds);
  const int64_t whole = static_cast<int64_t>(seconds);
  return absl::StrFormat("%dm%02ds", whole / 60, whole % 60);
}

// An age: 45s, 3m05s, 2h03m, 3d04h.
inline std::string FormatAge(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return absl::StrCat(seconds, "s");
  if (seconds < 3600) return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
  if (seconds < 86400) return absl::StrFormat("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  return absl::StrFormat("%dd%02dh", seconds / 86400, seconds % 86400 / 3600);
}

inline int64_t NanosToMillis(int64_t nanos) { return (std::max<int64_t>(nanos, 0) + 500000) / 1000000; }

// Columns separated by two spaces; no line ends in spaces.
inline std::string FormatTable(const std::vector<std::string>& header,
                               const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  const auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  const auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 < row.size()) {
        absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
      } else {
        absl::StrAppend(&line, row[i]);
      }
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  };
  emit(header);
  for (const auto& row : rows) emit(row);
  return out;
}

// A report as printed: indented JSON. Text that is not UTF-8 (ctr's messages, paths) is
// printed with U+FFFD in its place rather than failing the report.
inline std::string JsonText(const nlohmann::json& json) {
  return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// ---------------------------------------------------------------------------------------
// Images

// A container's checkpoint image as found on disk.
struct ImageInfo {
  bool present = false;      // a published (or interrupted-publish) image directory exists
  std::string dir;           // where it is (when present)
  bool valid = false;        // JudgeImage accepts it for this container
  std::string problem;       // why not, when present and not valid
  uint64_t bytes = 0;        // the sum of its files' sizes
  std::optional<int64_t> created_unix_nanos;  // from its manifest, when readable

  bool operator==(const ImageInfo&) const = default;
};

// ---------------------------------------------------------------------------------------
// finalize

enum class FinalizeResult { kCheckpointed, kFailed, kSkipped };

inline absl::string_view FinalizeResultName(FinalizeResult result) {
  switch (result) {
    case FinalizeResult::kCheckpointed: return "checkpointed";
    case FinalizeResult::kFailed: return "failed";
    case FinalizeResult::kSkipped: return "skipped";
  }
  return "failed";
}

struct FinalizeRow {
  std::string ns;
  std::string id;
  FinalizeResult result = FinalizeResult::kFailed;
  std::string reason;  // failed, skipped: why; checkpointed: a note, usually empty
  int64_t duration_nanos = 0;
  std::optional<uint64_t> image_bytes;  // checkpointed: the image's size
  std::string image_dir;
  std::string identity;  // the checkpoint identity its image belongs to

  bool operator==(const FinalizeRow&) const = default;
};

struct FinalizeReport {
  std::vector<FinalizeRow> rows;
  int parallel = 0;
  int64_t duration_nanos = 0;

  int Count(FinalizeResult result) const {
    return static_cast<int>(std::count_if(rows.begin(), rows.end(),
                                          [&](const FinalizeRow& row) { return row.result == result; }));
  }
  // Non-zero when any container failed (nothing to do is success).
  int ExitCode() const { return Count(FinalizeResult::kFailed) > 0 ? 1 : 0; }
};

inline std::string FinalizeSummary(const FinalizeReport& report) {
  return absl::StrCat(report.Count(FinalizeResult::kCheckpointed), " checkpointed, ",
                      report.Count(FinalizeResult::kFailed), " failed, ", report.Count(FinalizeResult::kSkipped),
                      " skipped in ", FormatDuration(report.duration_nanos), " (parallel ", report.parallel, ")");
}

inline std::string FormatFinalizeTable(const FinalizeReport& report) {
  if (report.rows.empty()) return "no opted-in containers on this node: nothing to do\n";
  std::vector<std::vector<std::string>> rows;
  for (const FinalizeRow& row : report.rows) {
    std::string result(FinalizeResultName(row.result));
    if (!row.reason.empty()) absl::StrAppend(&result, ": ", row.reason);
    rows.push_back({row.ns, row.id, row.identity,
                    row.result == FinalizeResult::kSkipped ? "-" : FormatDuration(row.duration_nanos),
                    row.image_bytes ? FormatBytes(*row.image_bytes) : "-", result});
  }
  return absl::StrCat(FormatTable({"NAMESPACE", "ID", "IDENTITY", "TIME", "IMAGE", "RESULT"}, rows),
                      FinalizeSummary(report), "\n");
}

inline nlohmann::json FinalizeJson(const FinalizeReport& report) {
  nlohmann::json containers = nlohmann::json::array();
  for (const FinalizeRow& row : report.rows) {
    containers.push_back({{"namespace", row.ns},
                          {"id", row.id},
                          {"identity", row.identity},
                          {"result", FinalizeResultName(row.result)},
                          {"reason", row.reason},
                          {"duration_ms", NanosToMillis(row.duration_nanos)},
                          {"image_bytes", row.image_bytes ? nlohmann::json(*row.image_bytes) : nlohmann::json()},
                          {"image_dir", row.image_dir}});
  }
  return {{"containers", containers},
          {"checkpointed", report.Count(FinalizeResult::kCheckpointed)},
          {"failed", report.Count(FinalizeResult::kFailed)},
          {"skipped", report.Count(FinalizeResult::kSkipped)},
          {"duration_ms", NanosToMillis(report.duration_nanos)},
          {"parallel", report.parallel}};
}

// ---------------------------------------------------------------------------------------
// status

struct StatusRow {
  std::string ns;
  std::string id;
  std::string identity;  // the checkpoint identity its image belongs to
  // True: opted in on this node (its record exists). False: finalized here earlier; the
  // record went with the container, the image is still there.
  bool opted_in = true;
  std::string task;  // RUNNING, PAUSED, STOPPED, CREATED, ..., "none" (no task), "unknown" (ctr failed)
  ImageInfo image;
  int64_t checkpoint_interval_ms = 0;            // periodic checkpoints; 0: none
  std::optional<CheckpointStats> last_checkpoint;  // what the last one cost, if one was taken here

  bool operator==(const StatusRow&) const = default;
};

struct StatusReport {
  bool listener_alive = false;
  std::optional<int64_t> listener_pid;
  std::vector<StatusRow> rows;
  std::vector<std::string> problems;  // e.g. a namespace whose tasks ctr could not list
  int64_t now_unix_nanos = 0;
};

inline std::optional<int64_t> ImageAgeSeconds(const ImageInfo& image, int64_t now_unix_nanos) {
  if (!image.present || !image.created_unix_nanos) return std::nullopt;
  return std::max<int64_t>(0, (now_unix_nanos - *image.created_unix_nanos) / 1000000000);
}

// "every 5s, last 12s ago, frozen 120 ms" for a row's NOTE ("" when there is nothing to
// say); a last checkpoint that published nothing says why, and that the image is older.
inline std::string DescribeCheckpoints(const StatusRow& row, int64_t now_unix_nanos) {
  std::string text;
  if (row.checkpoint_interval_ms > 0) text = absl::StrCat("every ", FormatAge(row.checkpoint_interval_ms / 1000));
  if (row.last_checkpoint) {
    const CheckpointStats& last = *row.last_checkpoint;
    const std::string age = FormatAge((now_unix_nanos - last.finished_unix_nanos) / 1000000000);
    if (!last.problem.empty()) {
      absl::StrAppend(&text, text.empty() ? "" : ", ", "last checkpoint FAILED ", age, " ago (", last.problem,
                      "): the image is older");
    } else {
      absl::StrAppend(&text, text.empty() ? "" : ", ", "last ", age, " ago, frozen ", NanosToMillis(last.frozen_nanos),
                      " ms");
    }
  }
  return text;
}

inline std::string FormatStatusTable(const StatusReport& report) {
  std::string out = absl::StrCat(
      "tardis-listen: ",
      report.listener_alive
          ? absl::StrCat("alive", report.listener_pid ? absl::StrCat(" (pid ", *report.listener_pid, ")") : "")
          : std::string("not running"),
      "\n");
  for (const std::string& problem : report.problems) absl::StrAppend(&out, "warning: ", problem, "\n");
  if (report.rows.empty()) return absl::StrCat(out, "no opted-in containers on this node\n");
  std::vector<std::vector<std::string>> rows;
  for (const StatusRow& row : report.rows) {
    const ImageInfo& image = row.image;
    const std::optional<int64_t> age = ImageAgeSeconds(image, report.now_unix_nanos);
    std::string note;
    if (image.present && !image.valid) note = absl::StrCat("invalid image: ", image.problem);
    if (!row.opted_in) note = note.empty() ? "finalized" : absl::StrCat("finalized; ", note);
    if (const std::string checkpoints = DescribeCheckpoints(row, report.now_unix_nanos); !checkpoints.empty()) {
      note = note.empty() ? checkpoints : absl::StrCat(note, "; ", checkpoints);
    }
    rows.push_back({row.ns, row.id, row.identity, row.task,
                    !image.present ? "none" : image.valid ? "valid" : "invalid",
                    image.present ? FormatBytes(image.bytes) : "-", age ? FormatAge(*age) : "-", note});
  }
  return absl::StrCat(out, FormatTable({"NAMESPACE", "ID", "IDENTITY", "TASK", "IMAGE", "SIZE", "AGE", "NOTE"}, rows));
}

inline nlohmann::json LastCheckpointJson(const std::optional<CheckpointStats>& last, int64_t now_unix_nanos) {
  if (!last) return nullptr;
  return {{"periodic", last->periodic},
          {"age_seconds", std::max<int64_t>(0, (now_unix_nanos - last->finished_unix_nanos) / 1000000000)},
          {"frozen_ms", NanosToMillis(last->frozen_nanos)},
          {"dump_ms", NanosToMillis(last->dump_nanos)},
          {"archive_ms", NanosToMillis(last->archive_nanos)},
          {"image_bytes", last->image_bytes},
          {"problem", last->problem}};
}

inline nlohmann::json StatusJson(const StatusReport& report) {
  nlohmann::json containers = nlohmann::json::array();
  for (const StatusRow& row : report.rows) {
    const ImageInfo& image = row.image;
    const std::optional<int64_t> age = ImageAgeSeconds(image, report.now_unix_nanos);
    containers.push_back({{"namespace", row.ns},
                          {"id", row.id},
                          {"identity", row.identity},
                          {"opted_in", row.opted_in},
                          {"task", row.task},
                          {"image",
                           {{"present", image.present},
                            {"valid", image.valid},
                            {"problem", image.problem},
                            {"dir", image.dir},
                            {"bytes", image.present ? nlohmann::json(image.bytes) : nlohmann::json()},
                            {"age_seconds", age ? nlohmann::json(*age) : nlohmann::json()}}},
                          {"checkpoint_interval_ms", row.checkpoint_interval_ms},
                          {"last_checkpoint", LastCheckpointJson(row.last_checkpoint, report.now_unix_nanos)}});
  }
  return {{"listener",
           {{"alive", report.listener_alive},
            {"pid", report.listener_pid ? nlohmann::json(*report.listener_pid) : nlohmann::json()}}},
          {"containers", containers},
          {"problems", report.problems}};
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_REPORT_H_
