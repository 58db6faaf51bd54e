// ParseExitPayload(): a /tasks/exit event's JSON; MatchRecordableExit(): whether a
// `ctr events` line carries an exit code tardis-listen must record (SPEC.md "Exit codes:
// tardis-listen"): the /tasks/exit of a container's own process, not of a process exec'd
// into it, and not any other event.
//
// The payload is containerd's TaskExit as Go's encoding/json prints it:
//   {"container_id":"c1","id":"c1","pid":6090,"exit_status":137,"exited_at":...}
//  - container_id, id: required, containerd identifiers (identifier.h). id is the
//    process: the container's own id for its init process, the exec id otherwise.
//  - pid, exit_status: uint32 in containerd, and omitted when 0 ("omitempty"), so absent
//    means 0. They must be JSON integers from 0 to 4294967295; a sign, a fraction, an
//    exponent, a string or null is an error. exit_status is kept whole as uint32_t: a
//    Linux shim reports 0..255 (128+signal for a killed process), but containerd's type
//    is wider and only the consumer knows what a big value means.
//  - exited_at: containerd 1.6 prints a time.Time, an RFC 3339 string
//    ("2026-11-29T02:52:55.269462191Z", 1 to 9 fraction digits or none, Z or +hh:mm);
//    1.7 prints a protobuf Timestamp, {"seconds":N,"nanos":N}, either member omitted when
//    0 (nanos must be 0..999999999). Absent, {}, or Go's zero time
//    ("0001-01-01T00:00:00Z") mean unknown: 0 (as does 1970-01-01T00:00:00Z itself).
// Other members are ignored, so newer containerds still parse; a repeated member counts
// once, the last one, as with Go's decoder.
#ifndef TARDIS_EVENTS_EXIT_EVENT_H_
#define TARDIS_EVENTS_EXIT_EVENT_H_

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "tardis/events/event_line.h"
#include "tardis/events/identifier.h"
#include "tardis/events/unix_nanos.h"

namespace tardis::events {

inline constexpr absl::string_view kExitTopic = "/tasks/exit";

struct ExitEvent {
  std::string container_id;
  std::string id;  // the process: == container_id for the container's own process
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  int64_t exited_at_unix_nanos = 0;  // 0: unknown
};

namespace exit_event_internal {

inline absl::Status Invalid(absl::string_view key, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", problem));
}

// What a JSON value that is not the integer wanted is, for error messages.
inline std::string KindOf(const nlohmann::json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return "a number with a minus sign";
  if (value.is_number_float()) return "a number with a fraction or exponent, or over 64 bits";
  return absl::StrCat("a JSON ", value.type_name());
}

inline absl::StatusOr<std::string> IdMember(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return Invalid(key, "missing");
  if (!it->is_string()) return Invalid(key, absl::StrCat(KindOf(*it), ", not a string"));
  const std::string& id = it->get_ref<const std::string&>();
  if (!IsContainerdIdentifier(id)) return Invalid(key, "not a containerd identifier");
  return id;
}

inline absl::StatusOr<uint32_t> Uint32Member(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return 0u;
  if (!it->is_number_unsigned())
    return Invalid(key, absl::StrCat(KindOf(*it), ", not an unsigned integer"));
  const uint64_t value = it->get<uint64_t>();
  if (value > std::numeric_limits<uint32_t>::max()) return Invalid(key, "over 4294967295");
  return static_cast<uint32_t>(value);
}

// time.Time's MarshalJSON: RFC 3339 with up to 9 fraction digits.
inline const RE2& Rfc3339Re() {
  static const RE2* const re =
      new RE2(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d))");
  return *re;
}

inline absl::StatusOr<int64_t> Rfc3339UnixNanos(absl::string_view text) {
  if (text == "0001-01-01T00:00:00Z") return 0;  // Go's zero time.Time
  CivilFields f;
  int year = 0;
  re2::StringPiece fraction, offset;  // an unmatched group would not parse as an int
  if (!RE2::FullMatch(re2::StringPiece(text.data(), text.size()), Rfc3339Re(), &year, &f.month,
                      &f.day, &f.hour, &f.minute, &f.second, &fraction, &offset)) {
    return Invalid("exited_at", "not an RFC 3339 time");
  }
  if (offset != "Z") {  // "+hh:mm"
    const int hours = (offset[1] - '0') * 10 + (offset[2] - '0');
    const int minutes = (offset[4] - '0') * 10 + (offset[5] - '0');
    if (hours > 23 || minutes > 59) return Invalid("exited_at", "offset out of range");
    f.offset_seconds = (hours * 3600 + minutes * 60) * (offset[0] == '-' ? -1 : 1);
  }
  f.year = year;
  f.nanos = event_line_internal::FractionNanos(absl::string_view(fraction.data(), fraction.size()));
  absl::StatusOr<int64_t> nanos = UnixNanosFromCivil(f);
  if (!nanos.ok()) return Invalid("exited_at", nanos.status().message());
  return nanos;
}

// A protobuf Timestamp as Go's encoding/json prints it.
inline absl::StatusOr<int64_t> TimestampObjectUnixNanos(const nlohmann::json& object) {
  int64_t seconds = 0;
  if (const auto it = object.find("seconds"); it != object.end()) {
    if (it->is_number_unsigned()) {
      if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Invalid("exited_at.seconds", "out of range");
      }
      seconds = static_cast<int64_t>(it->get<uint64_t>());
    } else if (it->is_number_integer()) {
      seconds = it->get<int64_t>();
    } else {
      return Invalid("exited_at.seconds", absl::StrCat(KindOf(*it), ", not an integer"));
    }
  }
  int64_t nanos = 0;
  if (const auto it = object.find("nanos"); it != object.end()) {
    if (!it->is_number_integer()) {
      return Invalid("exited_at.nanos", absl::StrCat(KindOf(*it), ", not an integer"));
    }
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 999'999'999u) {
      return Invalid("exited_at.nanos", "not in 0..999999999");
    }
    nanos = static_cast<int64_t>(it->get<uint64_t>());
  }
  absl::StatusOr<int64_t> unix_nanos = UnixNanosFromSeconds(seconds, nanos);
  if (!unix_nanos.ok()) return Invalid("exited_at", unix_nanos.status().message());
  return unix_nanos;
}

inline absl::StatusOr<int64_t> ExitedAtMember(const nlohmann::json& object) {
  const auto it = object.find("exited_at");
  if (it == object.end()) return 0;
  if (it->is_string()) return Rfc3339UnixNanos(it->get_ref<const std::string&>());
  if (it->is_object()) return TimestampObjectUnixNanos(*it);
  return Invalid("exited_at", absl::StrCat(KindOf(*it), ", not a string or an object"));
}

}  // namespace exit_event_internal

inline absl::StatusOr<ExitEvent> ParseExitPayload(absl::string_view json) {
  using namespace exit_event_internal;
  const nlohmann::json object = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (object.is_discarded()) return absl::InvalidArgumentError("payload is not valid JSON");
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload is a JSON ", object.type_name(), ", not an object"));
  }
  ExitEvent exit;
  absl::StatusOr<std::string> container_id = IdMember(object, "container_id");
  if (!container_id.ok()) return container_id.status();
  exit.container_id = *std::move(container_id);
  absl::StatusOr<std::string> id = IdMember(object, "id");
  if (!id.ok()) return id.status();
  exit.id = *std::move(id);
  absl::StatusOr<uint32_t> pid = Uint32Member(object, "pid");
  if (!pid.ok()) return pid.status();
  exit.pid = *pid;
  absl::StatusOr<uint32_t> exit_status = Uint32Member(object, "exit_status");
  if (!exit_status.ok()) return exit_status.status();
  exit.exit_status = *exit_status;
  absl::StatusOr<int64_t> exited_at = ExitedAtMember(object);
  if (!exited_at.ok()) return exited_at.status();
  exit.exited_at_unix_nanos = *exited_at;
  return exit;
}

// Exec'd processes exit with their own ids; only the container's own process's exit
// code says how the container ended.
inline bool IsOwnProcessExit(const ExitEvent& exit) { return exit.id == exit.container_id; }

// What MatchRecordableExit() decided about a line that parsed.
enum class ExitLineKind {
  kRecord,    // /tasks/exit of a container's own process: record its exit code
  kExecExit,  // /tasks/exit of a process exec'd into a container: drop
  kNotExit,   // any other event: drop
};

struct ExitLineMatch {
  ExitLineKind kind = ExitLineKind::kNotExit;
  std::string ns;                // always set
  std::string topic;             // always set
  int64_t event_unix_nanos = 0;  // the line's timestamp; always set
  ExitEvent exit;                // kRecord and kExecExit only

  bool record() const { return kind == ExitLineKind::kRecord; }
};

// An error means the line is not what ctr prints, or is a /tasks/exit whose payload is
// not a valid TaskExit; everything else valid is kExecExit or kNotExit, for callers to
// count and drop.
inline absl::StatusOr<ExitLineMatch> MatchRecordableExit(absl::string_view line) {
  absl::StatusOr<EventLine> event = ParseEventLine(line);
  if (!event.ok()) return event.status();
  ExitLineMatch match;
  match.ns = std::move(event->ns);
  match.topic = std::move(event->topic);
  match.event_unix_nanos = event->unix_nanos;
  if (match.topic != kExitTopic) return match;
  absl::StatusOr<ExitEvent> exit = ParseExitPayload(event->payload);
  if (!exit.ok()) return exit.status();
  match.exit = *std::move(exit);
  match.kind = IsOwnProcessExit(match.exit) ? ExitLineKind::kRecord : ExitLineKind::kExecExit;
  return match;
}

}  // namespace tardis::events

#endif  // TARDIS_EVENTS_EXIT_EVENT_H_
